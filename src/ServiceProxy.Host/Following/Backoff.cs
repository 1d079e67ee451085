namespace ServiceProxy.Host.Following;

/// <summary>
/// Exponential back-off with jitter: after the n-th failure in a row the wait is
/// <c>min(max, initial·2ⁿ⁻¹)</c> scaled by a random factor in [0.5, 1), so nodes that lost the API
/// together do not come back at the same instant. A success starts over.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _failures;

    /// <summary>Failures in a row so far.</summary>
    public int Failures => _failures;

    /// <summary>Counts a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        _failures = Math.Min(_failures + 1, 62);
        var ceiling = Math.Min(max.Ticks, initial.Ticks * Math.Pow(2, _failures - 1));
        return TimeSpan.FromTicks((long)(ceiling * (0.5 + (_random.NextDouble() / 2))));
    }

    /// <summary>A success: the next failure waits <c>initial</c> again.</summary>
    public void Reset() => _failures = 0;
}
