using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace ServiceProxy.Udp;

/// <summary>
/// The sessions of one service port, bounded: when full, the least recently used session is
/// evicted (CLOCK: the oldest-queued session not used since it was queued). Lookups are
/// lock-free; a datagram only writes its session's last-activity timestamp and reference bit,
/// and re-queues it (under the lock) at most once per <see cref="TouchGranularity"/>.
/// </summary>
/// <remarks>
/// Sessions sit in an intrusive list ordered by <see cref="UdpSession.QueuedAt"/>, oldest first,
/// and every re-queue stamps "now", so the list stays sorted: eviction takes the head and the idle
/// sweep pops from the head until the first live one — both O(1) amortized, no allocation. A head
/// used since it was queued gets a second chance (re-queued, bit cleared) instead of eviction;
/// a full pass keeps the queue order, so when every session is busy the oldest-queued one goes. Since a
/// session's last activity is less than one granularity after its queue stamp, "queued more than
/// timeout + granularity ago" proves "idle for at least timeout".
/// </remarks>
internal sealed class UdpSessionTable
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<UdpSessionKey, UdpSession> _sessions = new();
    private readonly int _capacity;
    private readonly Func<IPEndPoint, bool> _isCurrentEndpoint;
    private UdpSession? _oldest;
    private UdpSession? _newest;
    private int _count;
    private long _touchGranularity;

    /// <param name="capacity">Most sessions held (open ones and unreachable markers).</param>
    /// <param name="isCurrentEndpoint">
    /// Checked under the table lock on insert, so a session picked just before an endpoint was
    /// removed cannot slip in after <see cref="RemoveWhere"/> ran.
    /// </param>
    public UdpSessionTable(int capacity, Func<IPEndPoint, bool> isCurrentEndpoint)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _isCurrentEndpoint = isCurrentEndpoint;
    }

    public int Count => Volatile.Read(ref _count);

    public int Capacity => _capacity;

    /// <summary>In timestamp ticks: how stale a session's queue position may get before a datagram re-queues it.</summary>
    public long TouchGranularity
    {
        get => Volatile.Read(ref _touchGranularity);
        set => Volatile.Write(ref _touchGranularity, value);
    }

    public bool TryGet(UdpSessionKey key, [MaybeNullWhen(false)] out UdpSession session) =>
        _sessions.TryGetValue(key, out session);

    /// <summary>Records activity; cheap unless the session's queue stamp is older than the granularity.</summary>
    public void Touch(UdpSession session, long now)
    {
        session.LastActivity = now;
        if (!session.Used)
        {
            session.Used = true;
        }

        if (now - session.QueuedAt >= TouchGranularity)
        {
            lock (_gate)
            {
                if (session.InTable)
                {
                    Unlink(session);
                    Append(session, now);
                }
            }
        }
    }

    /// <summary>
    /// Inserts <paramref name="session"/>, replacing any entry with its key. False when its endpoint
    /// is no longer current. <paramref name="replaced"/> and <paramref name="evicted"/> are out of the
    /// table and must be closed by the caller.
    /// </summary>
    public bool TryAdd(UdpSession session, long now, out UdpSession? replaced, out UdpSession? evicted)
    {
        replaced = null;
        evicted = null;
        lock (_gate)
        {
            if (!_isCurrentEndpoint(session.Endpoint))
            {
                return false;
            }

            if (_sessions.TryGetValue(session.Key, out var existing))
            {
                RemoveLocked(existing);
                replaced = existing;
            }
            else if (_count >= _capacity)
            {
                evicted = EvictLocked(now);
            }

            _sessions[session.Key] = session;
            session.InTable = true;
            Append(session, now);
            session.Used = true; // its first datagram
            _count++;
            return true;
        }
    }

    /// <summary>Removes <paramref name="session"/> if it is still in the table.</summary>
    public bool Remove(UdpSession session)
    {
        lock (_gate)
        {
            if (!session.InTable)
            {
                return false;
            }

            RemoveLocked(session);
            return true;
        }
    }

    /// <summary>Moves sessions idle for at least <paramref name="timeout"/> ticks into <paramref name="expired"/>.</summary>
    public void RemoveIdle(long now, long timeout, List<UdpSession> expired)
    {
        lock (_gate)
        {
            var granularity = _touchGranularity;
            while (_oldest is { } oldest && now - oldest.QueuedAt >= timeout + granularity)
            {
                if (now - oldest.LastActivity >= timeout)
                {
                    RemoveLocked(oldest);
                    expired.Add(oldest);
                }
                else
                {
                    // A datagram raced with the granularity check; give it a fresh stamp.
                    Unlink(oldest);
                    Append(oldest, now);
                }
            }
        }
    }

    /// <summary>Moves every session matching <paramref name="predicate"/> into <paramref name="removed"/> (O(n); on config change).</summary>
    public void RemoveWhere(Func<UdpSession, bool> predicate, List<UdpSession> removed)
    {
        lock (_gate)
        {
            for (var session = _oldest; session is not null;)
            {
                var next = session.Newer;
                if (predicate(session))
                {
                    RemoveLocked(session);
                    removed.Add(session);
                }

                session = next;
            }
        }
    }

    private UdpSession EvictLocked(long now)
    {
        // Each second chance consumes one use, so this is O(1) amortized; the count bound only
        // guards against datagrams setting bits as fast as we clear them.
        for (var i = 0; i < _count && _oldest!.Used; i++)
        {
            var used = _oldest;
            Unlink(used);
            Append(used, now);
        }

        var victim = _oldest!;
        RemoveLocked(victim);
        return victim;
    }

    private void RemoveLocked(UdpSession session)
    {
        _sessions.TryRemove(new KeyValuePair<UdpSessionKey, UdpSession>(session.Key, session));
        Unlink(session);
        session.InTable = false;
        _count--;
    }

    private void Append(UdpSession session, long now)
    {
        session.QueuedAt = now;
        session.Used = false;
        session.Older = _newest;
        session.Newer = null;
        if (_newest is null)
        {
            _oldest = session;
        }
        else
        {
            _newest.Newer = session;
        }

        _newest = session;
    }

    private void Unlink(UdpSession session)
    {
        if (session.Older is null)
        {
            _oldest = session.Newer;
        }
        else
        {
            session.Older.Newer = session.Newer;
        }

        if (session.Newer is null)
        {
            _newest = session.Older;
        }
        else
        {
            session.Newer.Older = session.Older;
        }

        session.Older = null;
        session.Newer = null;
    }
}
