"""Event ABIs of the token standards people subscribe to without pasting an ABI."""

from __future__ import annotations

from typing import Any


def _arg(name: str, type_: str, indexed: bool) -> dict[str, Any]:
    return {"name": name, "type": type_, "indexed": indexed}


def _event(name: str, *inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "name": name, "anonymous": False, "inputs": list(inputs)}


def _approval_for_all() -> dict[str, Any]:
    return _event(
        "ApprovalForAll",
        _arg("owner", "address", True),
        _arg("operator", "address", True),
        _arg("approved", "bool", False),
    )


STANDARDS: dict[str, list[dict[str, Any]]] = {
    "erc20": [
        _event(
            "Transfer",
            _arg("from", "address", True),
            _arg("to", "address", True),
            _arg("value", "uint256", False),
        ),
        _event(
            "Approval",
            _arg("owner", "address", True),
            _arg("spender", "address", True),
            _arg("value", "uint256", False),
        ),
    ],
    "erc721": [
        _event(
            "Transfer",
            _arg("from", "address", True),
            _arg("to", "address", True),
            _arg("tokenId", "uint256", True),
        ),
        _event(
            "Approval",
            _arg("owner", "address", True),
            _arg("approved", "address", True),
            _arg("tokenId", "uint256", True),
        ),
        _approval_for_all(),
    ],
    "erc1155": [
        _event(
            "TransferSingle",
            _arg("operator", "address", True),
            _arg("from", "address", True),
            _arg("to", "address", True),
            _arg("id", "uint256", False),
            _arg("value", "uint256", False),
        ),
        _event(
            "TransferBatch",
            _arg("operator", "address", True),
            _arg("from", "address", True),
            _arg("to", "address", True),
            _arg("ids", "uint256[]", False),
            _arg("values", "uint256[]", False),
        ),
        _approval_for_all(),
        _event(
            "URI",
            _arg("value", "string", False),
            _arg("id", "uint256", True),
        ),
    ],
}
