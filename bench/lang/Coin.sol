// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The Solidity twin of the brief's Coin.
contract Coin {
    event Transferred(address indexed from, address indexed to, uint256 value);
    error InsufficientBalance(uint256 have, uint256 want);

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 have = balanceOf[msg.sender];
        if (have < value) revert InsufficientBalance(have, value);
        balanceOf[msg.sender] = have - value;
        balanceOf[to] += value;
        emit Transferred(msg.sender, to, value);
        return true;
    }
}
