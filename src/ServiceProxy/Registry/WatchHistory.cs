namespace ServiceProxy.Registry;

/// <summary>
/// The last N events, one per resourceVersion with no gaps (every commit is one event).
/// Not thread-safe: the store guards it with its write lock.
/// </summary>
internal sealed class WatchHistory
{
    private readonly WatchEvent[] _ring;
    private int _count;
    private int _next;

    public WatchHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new WatchEvent[capacity];
    }

    /// <summary>The version of the oldest kept event; with no events, the one after <paramref name="current"/>.</summary>
    public long OldestVersion(long current) => _count == 0 ? current + 1 : _ring[(_next - _count + _ring.Length) % _ring.Length].ResourceVersion;

    public void Add(WatchEvent watchEvent)
    {
        _ring[_next] = watchEvent;
        _next = (_next + 1) % _ring.Length;
        _count = Math.Min(_count + 1, _ring.Length);
    }

    /// <summary>True when every event after <paramref name="resourceVersion"/> is still kept.</summary>
    public bool Covers(long resourceVersion, long current) => resourceVersion >= OldestVersion(current) - 1;

    /// <summary>The kept events after <paramref name="resourceVersion"/>, oldest first.</summary>
    public List<WatchEvent> Since(long resourceVersion, Func<WatchEvent, bool>? filter = null)
    {
        var result = new List<WatchEvent>();
        for (var i = 0; i < _count; i++)
        {
            var watchEvent = _ring[(_next - _count + i + _ring.Length) % _ring.Length];
            if (watchEvent.ResourceVersion > resourceVersion && (filter is null || filter(watchEvent)))
            {
                result.Add(watchEvent);
            }
        }

        return result;
    }
}
