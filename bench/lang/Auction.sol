// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The Solidity twin of crates/lang/harness/fixtures/corpus/auction (Auction.tdm): an English
// auction with the withdraw pattern, the same storage packing, checks, errors and events. A
// failed value transfer reverts with TransferFailed() (Tandem's `send_value` bubbles the
// callee's revert data; only failure paths differ).
contract Auction {
    event HighestBidIncreased(address indexed bidder, uint256 amount);
    event Withdrawn(address indexed bidder, uint256 amount);
    event AuctionEnded(address indexed winner, uint256 amount);

    error AuctionAlreadyEnded(uint64 endTime);
    error BidNotHighEnough(uint256 highestBid);
    error AuctionNotYetEnded(uint64 endTime);
    error AuctionEndAlreadyCalled();
    error NothingToWithdraw(address bidder);
    error TransferFailed();

    address public beneficiary;
    uint64 public endTime;
    address public highestBidder;
    bool public ended;
    uint256 public highestBid;
    mapping(address => uint256) public pendingReturns;

    constructor(address beneficiary_, uint64 duration) {
        beneficiary = beneficiary_;
        endTime = uint64(block.timestamp) + duration;
    }

    function bid() external payable {
        uint64 end_ = endTime;
        if (block.timestamp >= end_) revert AuctionAlreadyEnded(end_);
        uint256 highest = highestBid;
        if (msg.value <= highest) revert BidNotHighEnough(highest);
        if (highest != 0) pendingReturns[highestBidder] += highest;
        highestBidder = msg.sender;
        highestBid = msg.value;
        emit HighestBidIncreased(msg.sender, msg.value);
    }

    function withdraw() external returns (uint256 amount) {
        amount = pendingReturns[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        pendingReturns[msg.sender] = 0;
        _pay(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    function end() external {
        uint64 end_ = endTime;
        if (block.timestamp < end_) revert AuctionNotYetEnded(end_);
        if (ended) revert AuctionEndAlreadyCalled();
        ended = true;
        uint256 amount = highestBid;
        emit AuctionEnded(highestBidder, amount);
        _pay(beneficiary, amount);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
