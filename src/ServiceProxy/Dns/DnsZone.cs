using ServiceProxy.Dns.Internal;

namespace ServiceProxy.Dns;

/// <summary>
/// The records a <see cref="DnsServer"/> answers from, authoritative for <see cref="Origin"/> and
/// every name below it: a name there that holds no record and is not above one does not exist
/// (NXDOMAIN); one that exists without the asked type answers NODATA; both carry the zone's SOA.
/// Records outside the origin (PTR names under <c>in-addr.arpa</c>) are answered when present and
/// forwarded otherwise. Records are grouped by source (one Service, one Pod): a writer replaces
/// or removes a source's records, then <see cref="Commit"/> publishes every change at once.
/// Queries never wait for a writer; each change recompiles only the names it touches and rebuilds
/// the shards of the answer table that hold them.
/// </summary>
public sealed class DnsZone
{
    private readonly Lock _writer = new();
    private readonly Dictionary<string, DnsRecord[]> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<byte[], NameState>?[] _names = new Dictionary<byte[], NameState>?[AnswerTable.ShardCount];
    private readonly HashSet<NameState> _dirtyNames = [];
    private readonly HashSet<int> _dirtyShards = [];
    private readonly byte[] _origin;
    private readonly uint _ttl;
    private uint _serial;
    private volatile AnswerTable _table;

    /// <summary>An empty zone for <paramref name="origin"/> (<c>cluster.local</c>) whose records live <paramref name="ttl"/>.</summary>
    /// <exception cref="ArgumentException">The origin is not a valid DNS name, or the TTL is negative or above 2^31-1 seconds.</exception>
    public DnsZone(string origin, TimeSpan ttl)
    {
        Origin = DnsNames.Normalize(origin);
        if (ttl < TimeSpan.Zero || ttl.TotalSeconds > int.MaxValue)
        {
            throw new ArgumentException($"TTL {ttl} is not within 0 and 2^31-1 seconds", nameof(ttl));
        }

        Ttl = TimeSpan.FromSeconds(Math.Floor(ttl.TotalSeconds));
        _origin = DnsNames.Encode(Origin);
        _ttl = (uint)Ttl.TotalSeconds;
        _table = AnswerTable.Empty(_origin, []);
        lock (_writer)
        {
            // The apex always exists: it owns the SOA.
            State(_origin).Apex = true;
            _table = Build();
        }
    }

    /// <summary>The zone's name, lower case, without the trailing dot.</summary>
    public string Origin { get; }

    /// <summary>The TTL of every record, and of negative answers (the SOA's minimum), in whole seconds.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Names that hold records or lie above one, in the published version.</summary>
    public int NameCount => _table.Shards.Sum(s => s.Count);

    internal AnswerTable Table => _table;

    /// <summary>
    /// Replaces the records of <paramref name="source"/> (an empty list removes them); published by the
    /// next <see cref="Commit"/>. Returns false, and changes nothing, when they are the records it has.
    /// </summary>
    public bool SetRecords(string source, IReadOnlyList<DnsRecord> records)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(records);
        lock (_writer)
        {
            var old = _sources.GetValueOrDefault(source, []);
            if (old.AsSpan().SequenceEqual([.. records]))
            {
                return false;
            }

            foreach (var record in old)
            {
                Detach(record);
            }

            if (records.Count == 0)
            {
                _sources.Remove(source);
            }
            else
            {
                var copy = records.ToArray();
                _sources[source] = copy;
                foreach (var record in copy)
                {
                    Attach(record);
                }
            }

            return true;
        }
    }

    /// <summary>Removes the records of <paramref name="source"/>; false when it had none.</summary>
    public bool RemoveRecords(string source) => SetRecords(source, []);

    /// <summary>The records <paramref name="source"/> has given (committed or not).</summary>
    public IReadOnlyList<DnsRecord> GetRecords(string source)
    {
        lock (_writer)
        {
            return _sources.GetValueOrDefault(source, []);
        }
    }

    /// <summary>Publishes every change since the last commit in one step; queries after it see all of them.</summary>
    public void Commit()
    {
        lock (_writer)
        {
            if (_dirtyShards.Count == 0)
            {
                return;
            }

            _table = Build();
        }
    }

    private AnswerTable Build()
    {
        foreach (var name in _dirtyNames)
        {
            name.Answers = NameAnswers.Compile(name.Records, _ttl, name.Apex);
        }

        var table = _table.With(_dirtyShards, Shard, AnswerTable.BuildSoa(Origin, _ttl, ++_serial));
        _dirtyNames.Clear();
        _dirtyShards.Clear();
        return table;
    }

    private Dictionary<byte[], NameAnswers> Shard(int index)
    {
        var shard = new Dictionary<byte[], NameAnswers>(_names[index]?.Count ?? 0, WireNameComparer.Instance);
        if (_names[index] is { } names)
        {
            foreach (var (key, state) in names)
            {
                shard[key] = state.Answers;
            }
        }

        return shard;
    }

    private void Attach(DnsRecord record)
    {
        var state = State(record.NameWire);
        state.Records.Add(record);
        Touch(state);
        if (state.Records.Count == 1 && state.Below == 0)
        {
            AddAncestors(record.NameWire, +1);
        }
    }

    private void Detach(DnsRecord record)
    {
        var state = State(record.NameWire);
        var index = state.Records.FindIndex(r => ReferenceEquals(r, record));
        state.Records.RemoveAt(index);
        Touch(state);
        if (state.Records.Count == 0 && state.Below == 0)
        {
            AddAncestors(record.NameWire, -1);
            Forget(state);
        }
    }

    /// <summary>
    /// Counts, on each name between <paramref name="name"/> and the origin, the names below it that
    /// exist: while the count is positive it exists too, as an empty non-terminal (NODATA, not NXDOMAIN).
    /// </summary>
    private void AddAncestors(byte[] name, int delta)
    {
        if (!DnsNames.IsAtOrBelow(name, _origin) || name.AsSpan().SequenceEqual(_origin))
        {
            return;
        }

        var parent = DnsNames.Parent(name);
        while (parent.Length >= _origin.Length)
        {
            var state = State(parent.ToArray());
            var existed = state.Records.Count > 0 || state.Below > 0;
            state.Below += delta;
            var exists = state.Records.Count > 0 || state.Below > 0;
            if (existed != exists || state.Apex)
            {
                Touch(state);
            }

            if (!exists)
            {
                Forget(state);
            }

            if (existed && exists)
            {
                // Its own ancestors already count it.
                return;
            }

            parent = DnsNames.Parent(parent);
        }
    }

    private NameState State(byte[] name)
    {
        var shard = AnswerTable.ShardOf(WireNameComparer.Hash(name));
        var names = _names[shard] ??= new Dictionary<byte[], NameState>(WireNameComparer.Instance);
        if (!names.TryGetValue(name, out var state))
        {
            state = new NameState(name, shard);
            names[name] = state;
        }

        return state;
    }

    private void Touch(NameState state)
    {
        _dirtyNames.Add(state);
        _dirtyShards.Add(state.Shard);
    }

    private void Forget(NameState state)
    {
        if (!state.Apex && state.Records.Count == 0 && state.Below == 0)
        {
            _names[state.Shard]!.Remove(state.Name);
            _dirtyNames.Remove(state);
            _dirtyShards.Add(state.Shard);
        }
    }

    private sealed class NameState(byte[] name, int shard)
    {
        public byte[] Name { get; } = name;

        public int Shard { get; } = shard;

        public List<DnsRecord> Records { get; } = [];

        /// <summary>Names directly below this one that exist (hold records or names below them).</summary>
        public int Below { get; set; }

        public bool Apex { get; set; }

        public NameAnswers Answers { get; set; } = NameAnswers.EmptyNonTerminal;
    }
}
