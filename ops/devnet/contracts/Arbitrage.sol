// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

interface IUniswapV2Pair {
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IUniswapV3Pool {
    function swap(
        address recipient,
        bool zeroForOne,
        int256 amountSpecified,
        uint160 sqrtPriceLimitX96,
        bytes calldata data
    ) external returns (int256 amount0, int256 amount1);
}

/// @title Arbitrage: one cycle of swaps over Uniswap V2 pairs and V3 pools, atomically.
/// @notice The owner's start tokens go in (pulled with transferFrom: the owner approves this
/// contract once per token) and come back to the owner; the whole transaction reverts unless
/// the owner's balance of the start token grew by at least `minProfit`. Nothing stays here.
contract Arbitrage {
    /// @param pool a Uniswap V2 pair or V3 pool.
    /// @param tokenIn what the hop sells; the first hop's is the start token.
    /// @param tokenOut what it buys; the next hop's tokenIn, the last hop's is the start token.
    /// @param v3 a V3 pool (swapped with a callback), else a V2 pair.
    /// @param fee a V2 pair's fee in hundredths of a basis point (3000 = 0.3 %); unused for V3.
    struct Hop {
        address pool;
        address tokenIn;
        address tokenOut;
        bool v3;
        uint24 fee;
    }

    // TickMath's price limits, one step inside: a V3 swap is bounded by liquidity, not price.
    uint160 private constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 private constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;
    uint256 private constant FEE_DENOMINATOR = 1_000_000;

    address public immutable owner;

    /// The V3 pool being swapped: the only caller whose callback is honoured, once.
    address private transient activePool;

    error NotOwner();
    error InvalidPath();
    error UnexpectedCallback();
    error TransferFailed();
    error InsufficientProfit(int256 profit, uint256 minProfit);

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Swap `amountIn` of the start token along `path`, which must end where it starts.
    /// @return profit how much the owner's start-token balance grew.
    function execute(Hop[] calldata path, uint256 amountIn, uint256 minProfit) external returns (uint256 profit) {
        if (msg.sender != owner) revert NotOwner();
        uint256 hops = path.length;
        if (hops < 2 || amountIn == 0 || path[hops - 1].tokenOut != path[0].tokenIn) revert InvalidPath();
        IERC20 start = IERC20(path[0].tokenIn);
        uint256 before = start.balanceOf(msg.sender);
        uint256 amount = amountIn;
        for (uint256 i = 0; i < hops; ++i) {
            Hop calldata hop = path[i];
            // Output goes straight to where the next hop needs it: a V2 pair must hold its
            // input before its swap; a V3 pool is paid from here in its callback.
            address recipient = msg.sender;
            if (i + 1 < hops) {
                if (path[i + 1].tokenIn != hop.tokenOut) revert InvalidPath();
                recipient = path[i + 1].v3 ? address(this) : path[i + 1].pool;
            }
            if (hop.v3) {
                amount = _swapV3(hop, amount, recipient, i == 0 ? msg.sender : address(this));
            } else {
                if (i == 0) _pay(hop.tokenIn, msg.sender, hop.pool, amount);
                amount = _swapV2(hop, recipient);
            }
        }
        uint256 balance = start.balanceOf(msg.sender);
        if (balance < before + minProfit) {
            revert InsufficientProfit(int256(balance) - int256(before), minProfit);
        }
        return balance - before;
    }

    /// @dev V3 pays the owed input through this callback, during `swap`.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        if (msg.sender != activePool) revert UnexpectedCallback();
        activePool = address(0);
        (address token, address payer) = abi.decode(data, (address, address));
        _pay(token, payer, msg.sender, uint256(amount0Delta > 0 ? amount0Delta : amount1Delta));
    }

    /// @dev The pair's input is what it holds above its reserve; its output follows
    /// UniswapV2Library.getAmountOut, with the fee in hundredths of a basis point.
    function _swapV2(Hop calldata hop, address recipient) private returns (uint256 amountOut) {
        IUniswapV2Pair pair = IUniswapV2Pair(hop.pool);
        bool zeroForOne = hop.tokenIn < hop.tokenOut;
        (uint256 reserve0, uint256 reserve1,) = pair.getReserves();
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        uint256 amountIn = IERC20(hop.tokenIn).balanceOf(hop.pool) - reserveIn;
        uint256 amountInWithFee = amountIn * (FEE_DENOMINATOR - hop.fee);
        amountOut = (amountInWithFee * reserveOut) / (reserveIn * FEE_DENOMINATOR + amountInWithFee);
        (uint256 amount0Out, uint256 amount1Out) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
        pair.swap(amount0Out, amount1Out, recipient, new bytes(0));
    }

    function _swapV3(Hop calldata hop, uint256 amountIn, address recipient, address payer)
        private
        returns (uint256 amountOut)
    {
        bool zeroForOne = hop.tokenIn < hop.tokenOut;
        activePool = hop.pool;
        (int256 amount0, int256 amount1) = IUniswapV3Pool(hop.pool).swap(
            recipient,
            zeroForOne,
            int256(amountIn),
            zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
            abi.encode(hop.tokenIn, payer)
        );
        if (activePool != address(0)) revert UnexpectedCallback();
        amountOut = uint256(-(zeroForOne ? amount1 : amount0));
    }

    /// @dev Moves `amount` of `token` from `payer` (the owner, by allowance, or this contract).
    function _pay(address token, address payer, address to, uint256 amount) private {
        bool ok = payer == address(this)
            ? IERC20(token).transfer(to, amount)
            : IERC20(token).transferFrom(payer, to, amount);
        if (!ok) revert TransferFailed();
    }
}
