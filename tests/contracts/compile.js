// Compiles Token.sol with solc-js (offline) into Token.json: `node tests/contracts/compile.js`.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const source = fs.readFileSync(path.join(__dirname, "Token.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "Token.sol": { content: source } },
  settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  console.error(errors.map((e) => e.formattedMessage).join("\n"));
  process.exit(1);
}
const token = output.contracts["Token.sol"].Token;
const artifact = { compiler: solc.version(), abi: token.abi, bytecode: "0x" + token.evm.bytecode.object };
fs.writeFileSync(path.join(__dirname, "Token.json"), JSON.stringify(artifact, null, 2) + "\n");
console.log("wrote Token.json with", solc.version());
