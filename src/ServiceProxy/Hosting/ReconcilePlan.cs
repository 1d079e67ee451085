using ServiceProxy.Configuration;

namespace ServiceProxy.Hosting;

/// <summary>
/// What to do to go from the running service ports to a new snapshot, diffed by
/// <see cref="ServicePortKey"/> like kube-proxy's proxier: unchanged ports are not touched.
/// </summary>
internal sealed record ReconcilePlan(
    IReadOnlyList<ServicePortConfig> Added,
    IReadOnlyList<ServicePortKey> Removed,
    IReadOnlyList<ServicePortConfig> Updated,
    IReadOnlyList<ServicePortConfig> Restarted,
    int Unchanged,
    IReadOnlyList<ServicePortKey> Duplicates)
{
    /// <param name="running">The config each running port was last given.</param>
    /// <param name="desired">The new snapshot; when a key repeats, the last one wins.</param>
    public static ReconcilePlan Create(IReadOnlyDictionary<ServicePortKey, ServicePortConfig> running, IEnumerable<ServicePortConfig> desired)
    {
        var wanted = new Dictionary<ServicePortKey, ServicePortConfig>();
        var duplicates = new List<ServicePortKey>();
        foreach (var port in desired)
        {
            if (wanted.ContainsKey(port.Key))
            {
                duplicates.Add(port.Key);
            }

            wanted[port.Key] = port;
        }

        List<ServicePortConfig> added = [], updated = [], restarted = [];
        var unchanged = 0;
        foreach (var (key, port) in wanted)
        {
            if (!running.TryGetValue(key, out var old))
            {
                added.Add(port);
            }
            else if (old.Equals(port))
            {
                unchanged++;
            }
            else if (old.HasSameListeners(port))
            {
                updated.Add(port);
            }
            else
            {
                restarted.Add(port);
            }
        }

        var removed = running.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
        return new ReconcilePlan(added, removed, updated, restarted, unchanged, duplicates);
    }
}
