using System.Collections.Immutable;

namespace ServiceProxy.Configuration;

/// <summary>
/// What changed between two snapshots, as kube-proxy's change trackers record it: the service ports
/// that were set (added or changed) and the keys that were removed since the snapshot of
/// <see cref="BaseVersion"/>. A consumer that applied that snapshot applies only these instead of
/// diffing every port, so the work per change does not grow with the ports that did not change.
/// <see cref="Previous"/> links to the changes that led to <see cref="BaseVersion"/>, a bounded chain
/// (<see cref="MaxChain"/>), so a consumer that skipped a few snapshots can still catch up by changes.
/// </summary>
public sealed class ProxyConfigChanges
{
    /// <summary>The most changes a chain links; a consumer further behind diffs the whole snapshot.</summary>
    public const int MaxChain = 64;

    // A full chain is cut back to its newest links (copied: the links are shared with older
    // snapshots), so a consumer a few snapshots behind never meets a cut.
    private const int KeptOnCut = 16;

    private readonly int _depth;

    /// <summary>The changes from the snapshot of <paramref name="baseVersion"/> to the one that carries them.</summary>
    /// <param name="baseVersion">The version of the snapshot these changes apply to.</param>
    /// <param name="set">The ports added or changed, each with its whole new config.</param>
    /// <param name="removed">The keys of the ports removed.</param>
    /// <param name="previous">The changes carried by the snapshot of <paramref name="baseVersion"/>, if any; dropped when the chain is full.</param>
    public ProxyConfigChanges(long baseVersion, ImmutableArray<ServicePortConfig> set, ImmutableArray<ServicePortKey> removed, ProxyConfigChanges? previous)
    {
        BaseVersion = baseVersion;
        Set = set.IsDefault ? [] : set;
        Removed = removed.IsDefault ? [] : removed;
        if (previous is not null)
        {
            Previous = previous._depth + 1 < MaxChain ? previous : previous.Newest(KeptOnCut);
            _depth = Previous._depth + 1;
        }
    }

    /// <summary>The version of the snapshot these changes apply to.</summary>
    public long BaseVersion { get; }

    /// <summary>The ports added or changed since <see cref="BaseVersion"/>.</summary>
    public ImmutableArray<ServicePortConfig> Set { get; }

    /// <summary>The ports removed since <see cref="BaseVersion"/>.</summary>
    public ImmutableArray<ServicePortKey> Removed { get; }

    /// <summary>The changes that led to <see cref="BaseVersion"/>, while the chain is short enough to keep.</summary>
    public ProxyConfigChanges? Previous { get; }

    private ProxyConfigChanges Newest(int links) =>
        new(BaseVersion, Set, Removed, links > 1 ? Previous?.Newest(links - 1) : null);

    /// <summary>
    /// The newest state of every port changed since the snapshot of <paramref name="appliedVersion"/>
    /// (a config, or null for a removed port), or null when the chain does not reach back to it.
    /// </summary>
    public Dictionary<ServicePortKey, ServicePortConfig?>? Since(long appliedVersion)
    {
        var newest = new Dictionary<ServicePortKey, ServicePortConfig?>();
        for (var changes = this; changes is not null; changes = changes.Previous)
        {
            // Newest first: a key already seen keeps its newer state.
            foreach (var port in changes.Set)
            {
                newest.TryAdd(port.Key, port);
            }

            foreach (var key in changes.Removed)
            {
                newest.TryAdd(key, null);
            }

            if (changes.BaseVersion == appliedVersion)
            {
                return newest;
            }
        }

        return null;
    }
}
