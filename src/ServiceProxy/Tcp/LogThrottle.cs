namespace ServiceProxy.Tcp;

/// <summary>
/// Lets one log line through per interval and counts the ones it held back, so a flood of
/// rejected connections costs one line per interval instead of one per connection.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly long _intervalTimestampTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _nextAllowed = long.MinValue;
    private long _suppressed;

    /// <summary>True when a line may be written now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryAcquire(out long suppressed)
    {
        var now = time.GetTimestamp();
        var next = Interlocked.Read(ref _nextAllowed);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowed, now + _intervalTimestampTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
