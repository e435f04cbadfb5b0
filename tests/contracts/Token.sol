// SPDX-License-Identifier: MIT
pragma solidity 0.8.26;

/// A minimal ERC-20 used by Blockbell's tests and benchmarks. `batchTransfer` emits many
/// Transfer logs in one transaction so benchmarks can produce 100,000 logs quickly.
contract Token {
    string public name = "Blockbell Test Token";
    string public symbol = "BBT";
    uint8 public decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 initialSupply) {
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "allowance");
        allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
        return true;
    }

    /// Emits `count` transfers of `value` from the caller to consecutive addresses from `firstTo`.
    function batchTransfer(address firstTo, uint256 count, uint256 value) external {
        uint160 base = uint160(firstTo);
        for (uint256 i = 0; i < count; i++) {
            _move(msg.sender, address(base + uint160(i)), value);
        }
    }

    function _move(address from, address to, uint256 value) private {
        require(balanceOf[from] >= value, "balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
