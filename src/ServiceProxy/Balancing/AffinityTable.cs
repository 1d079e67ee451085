using System.Net;

namespace ServiceProxy.Balancing;

/// <summary>
/// Client IP → endpoint, with sliding expiry and a hard bound: the least recently used entry is
/// evicted when full, so a flood of client IPs costs at most <c>capacity</c> entries. Entries are
/// kept in use order, so sweeping stops at the first live one.
/// </summary>
internal sealed class AffinityTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, LinkedListNode<Entry>> _byClient = [];
    private readonly LinkedList<Entry> _byUse = new(); // first = most recently used
    private readonly int _capacity;
    private readonly TimeProvider _time;

    public AffinityTable(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byClient.Count;
            }
        }
    }

    /// <summary>The pinned endpoint when used within <paramref name="timeout"/>; refreshes its last use.</summary>
    public bool TryGet(IPAddress client, TimeSpan timeout, out IPEndPoint endpoint)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_byClient.TryGetValue(client, out var node))
            {
                if (_time.GetElapsedTime(node.Value.LastUsed, now) < timeout)
                {
                    node.Value.LastUsed = now;
                    MoveToFront(node);
                    endpoint = node.Value.Endpoint;
                    return true;
                }

                Remove(node);
            }
        }

        endpoint = null!;
        return false;
    }

    public void Set(IPAddress client, IPEndPoint endpoint)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_byClient.TryGetValue(client, out var node))
            {
                node.Value.Endpoint = endpoint;
                node.Value.LastUsed = now;
                MoveToFront(node);
                return;
            }

            if (_byClient.Count >= _capacity)
            {
                // Full: recycle the least recently used node, so a flood of new clients allocates nothing.
                var oldest = _byUse.Last!;
                _byClient.Remove(oldest.Value.Client);
                oldest.Value.Client = client;
                oldest.Value.Endpoint = endpoint;
                oldest.Value.LastUsed = now;
                MoveToFront(oldest);
                _byClient[client] = oldest;
                return;
            }

            _byClient[client] = _byUse.AddFirst(new Entry(client, endpoint, now));
        }
    }

    public void RemoveWhere(Func<IPEndPoint, bool> predicate)
    {
        lock (_gate)
        {
            for (var node = _byUse.First; node is not null;)
            {
                var next = node.Next;
                if (predicate(node.Value.Endpoint))
                {
                    Remove(node);
                }

                node = next;
            }
        }
    }

    public int SweepExpired(TimeSpan timeout)
    {
        var now = _time.GetTimestamp();
        var removed = 0;
        lock (_gate)
        {
            while (_byUse.Last is { } oldest && _time.GetElapsedTime(oldest.Value.LastUsed, now) >= timeout)
            {
                Remove(oldest);
                removed++;
            }
        }

        return removed;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _byClient.Clear();
            _byUse.Clear();
        }
    }

    private void MoveToFront(LinkedListNode<Entry> node)
    {
        if (node != _byUse.First)
        {
            _byUse.Remove(node);
            _byUse.AddFirst(node);
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _byUse.Remove(node);
        _byClient.Remove(node.Value.Client);
    }

    private sealed class Entry(IPAddress client, IPEndPoint endpoint, long lastUsed)
    {
        public IPAddress Client { get; set; } = client;

        public IPEndPoint Endpoint { get; set; } = endpoint;

        public long LastUsed { get; set; } = lastUsed;
    }
}
