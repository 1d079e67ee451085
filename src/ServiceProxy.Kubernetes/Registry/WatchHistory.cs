using System.Text.Json;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// The last events, in increasing resourceVersion (the in-memory store has no gaps; a cache of etcd
/// has them where revisions went to other keys): at most N of them and at most a budget of bytes
/// (their objects' JSON size), so that big objects cannot pin gigabytes; the newest event is always
/// kept. It covers every version after its floor: the last event dropped, or where it was reset.
/// Not thread-safe: the store guards it with its write lock.
/// </summary>
internal sealed class WatchHistory
{
    private readonly WatchEvent?[] _ring;
    private readonly long[] _sizes;
    private readonly long _maxBytes;
    private int _count;
    private int _next;
    private long _bytes;
    private long _floor;

    public WatchHistory(int capacity, long maxBytes = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _ring = new WatchEvent?[capacity];
        _sizes = new long[capacity];
        _maxBytes = maxBytes;
    }

    /// <summary>The JSON size of the kept events' objects.</summary>
    public long Bytes => _bytes;

    /// <summary>The version of the oldest kept event; with no events, the one after <paramref name="current"/>.</summary>
    public long OldestVersion(long current) => _count == 0 ? Math.Max(current, _floor) + 1 : _ring[Oldest]!.ResourceVersion;

    private int Oldest => (_next - _count + _ring.Length) % _ring.Length;

    /// <summary>Adds an event of <paramref name="size"/> bytes (its <see cref="SizeOf"/>, measured once for the history and every watcher).</summary>
    public void Add(WatchEvent watchEvent, long size)
    {
        if (_count == _ring.Length)
        {
            DropOldest();
        }

        while (_count > 0 && _bytes + size > _maxBytes)
        {
            DropOldest();
        }

        _ring[_next] = watchEvent;
        _sizes[_next] = size;
        _bytes += size;
        _next = (_next + 1) % _ring.Length;
        _count++;
    }

    /// <summary>True when every event after <paramref name="resourceVersion"/> is still kept.</summary>
    public bool Covers(long resourceVersion, long current) => resourceVersion >= (_count == 0 ? Math.Max(current, _floor) : _floor);

    /// <summary>Drops every event: the history covers only what comes after <paramref name="floor"/>.</summary>
    public void Reset(long floor)
    {
        while (_count > 0)
        {
            DropOldest();
        }

        _floor = floor;
    }

    /// <summary>The kept events after <paramref name="resourceVersion"/>, oldest first.</summary>
    public List<WatchEvent> Since(long resourceVersion, Func<WatchEvent, bool>? filter = null)
    {
        var result = new List<WatchEvent>();
        for (var i = 0; i < _count; i++)
        {
            var watchEvent = _ring[(_next - _count + i + _ring.Length) % _ring.Length]!;
            if (watchEvent.ResourceVersion > resourceVersion && (filter is null || filter(watchEvent)))
            {
                result.Add(watchEvent);
            }
        }

        return result;
    }

    private void DropOldest()
    {
        var oldest = Oldest;
        _floor = _ring[oldest]!.ResourceVersion;
        _bytes -= _sizes[oldest];
        _ring[oldest] = null; // Let the object go now, not when the slot is reused.
        _count--;
    }

    /// <summary>The object's JSON size, counted without building the text: the measure of every watch buffer bound.</summary>
    public static long SizeOf(KubeObject obj) => KubeJson.SizeOf(obj);
}
