// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IERC20 {
    function balanceOf(address owner) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

// The Solidity twin of crates/lang/harness/fixtures/corpus/vault (Vault.tdm): an ERC-4626
// vault with one virtual share and one virtual asset, the same storage order, checks,
// errors, events and rounding. `_mulDiv` is exact through the 512-bit product, as Tandem's
// std::math::mul_div: one division when the product fits a word, else a long division (a
// quotient past 2^256 reverts with MulDivOverflow() where Tandem panics with 0x11).
contract Vault {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares);
    event Withdraw(
        address indexed sender, address indexed receiver, address indexed owner, uint256 assets, uint256 shares
    );

    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error ERC20InvalidReceiver(address receiver);
    error AssetTransferFailed();
    error MulDivOverflow();

    address public immutable asset;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    constructor(address asset_) {
        asset = asset_;
    }

    function totalAssets() public view returns (uint256) {
        return IERC20(asset).balanceOf(address(this));
    }

    function convertToShares(uint256 assets) external view returns (uint256) {
        return _mulDiv(assets, totalSupply + 1, totalAssets() + 1, false);
    }

    function convertToAssets(uint256 shares) external view returns (uint256) {
        return _mulDiv(shares, totalAssets() + 1, totalSupply + 1, false);
    }

    function deposit(uint256 assets, address receiver) external returns (uint256 shares) {
        shares = _mulDiv(assets, totalSupply + 1, totalAssets() + 1, false);
        _pull(msg.sender, assets);
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
    }

    function mint(uint256 shares, address receiver) external returns (uint256 assets) {
        assets = _mulDiv(shares, totalAssets() + 1, totalSupply + 1, true);
        _pull(msg.sender, assets);
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
    }

    function withdraw(uint256 assets, address receiver, address owner) external returns (uint256 shares) {
        shares = _mulDiv(assets, totalSupply + 1, totalAssets() + 1, true);
        _burn(msg.sender, owner, shares);
        _push(receiver, assets);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
    }

    function redeem(uint256 shares, address receiver, address owner) external returns (uint256 assets) {
        assets = _mulDiv(shares, totalAssets() + 1, totalSupply + 1, false);
        _burn(msg.sender, owner, shares);
        _push(receiver, assets);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        if (to == address(0)) revert ERC20InvalidReceiver(to);
        uint256 have = balanceOf[msg.sender];
        if (have < value) revert ERC20InsufficientBalance(msg.sender, have, value);
        unchecked {
            balanceOf[msg.sender] = have - value;
        }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function _pull(address from, uint256 assets) private {
        if (!IERC20(asset).transferFrom(from, address(this), assets)) revert AssetTransferFailed();
    }

    function _push(address to, uint256 assets) private {
        if (!IERC20(asset).transfer(to, assets)) revert AssetTransferFailed();
    }

    function _mint(address to, uint256 shares) private {
        if (to == address(0)) revert ERC20InvalidReceiver(to);
        totalSupply += shares;
        balanceOf[to] += shares;
        emit Transfer(address(0), to, shares);
    }

    /// Burns `owner`'s shares, spending `spender`'s allowance first when it is not the owner.
    function _burn(address spender, address owner, uint256 shares) private {
        if (spender != owner) {
            uint256 allowed = allowance[owner][spender];
            if (allowed < shares) revert ERC20InsufficientAllowance(spender, allowed, shares);
            unchecked {
                allowance[owner][spender] = allowed - shares;
            }
        }
        uint256 have = balanceOf[owner];
        if (have < shares) revert ERC20InsufficientBalance(owner, have, shares);
        unchecked {
            balanceOf[owner] = have - shares;
        }
        totalSupply -= shares;
        emit Transfer(owner, address(0), shares);
    }

    /// `a * b / d` rounded down (or up), exact through the 512-bit product `hi:lo`.
    function _mulDiv(uint256 a, uint256 b, uint256 d, bool up) private pure returns (uint256 q) {
        uint256 lo;
        uint256 hi;
        unchecked {
            uint256 mm = mulmod(a, b, type(uint256).max);
            lo = a * b;
            hi = mm - lo - (mm < lo ? 1 : 0);
        }
        uint256 r;
        if (hi == 0) {
            q = lo / d;
            r = lo % d;
        } else {
            if (hi >= d) revert MulDivOverflow();
            r = hi;
            unchecked {
                for (uint256 i = 256; i > 0; --i) {
                    uint256 carry = r >> 255;
                    r = (r << 1) | ((lo >> (i - 1)) & 1);
                    if (carry == 1 || r >= d) {
                        r -= d;
                        q |= uint256(1) << (i - 1);
                    }
                }
            }
        }
        if (up && r != 0) q += 1;
    }
}
