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
    /// <summary>The plan for a whole snapshot: every running and every desired port is compared.</summary>
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

        var plan = new Builder();
        foreach (var (key, port) in wanted)
        {
            plan.Compare(running.GetValueOrDefault(key), port);
        }

        var removed = running.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
        return plan.Build(removed, duplicates);
    }

    /// <summary>
    /// The plan for the ports <paramref name="changed"/> since the applied snapshot (a config, or null
    /// for a removed port); every other port is unchanged. The work is proportional to the changes.
    /// </summary>
    public static ReconcilePlan ForChanges(
        IReadOnlyDictionary<ServicePortKey, ServicePortConfig> running, IReadOnlyDictionary<ServicePortKey, ServicePortConfig?> changed)
    {
        var plan = new Builder();
        var removed = new List<ServicePortKey>();
        foreach (var (key, port) in changed)
        {
            var old = running.GetValueOrDefault(key);
            if (port is not null)
            {
                plan.Compare(old, port);
            }
            else if (old is not null)
            {
                removed.Add(key);
            }
        }

        plan.Unchanged += running.Count - plan.Compared - removed.Count;
        return plan.Build(removed, []);
    }

    private sealed class Builder
    {
        public List<ServicePortConfig> Added { get; } = [];

        public List<ServicePortConfig> Updated { get; } = [];

        public List<ServicePortConfig> Restarted { get; } = [];

        public int Unchanged { get; set; }

        /// <summary>How many running ports <see cref="Compare"/> saw.</summary>
        public int Compared { get; private set; }

        public void Compare(ServicePortConfig? old, ServicePortConfig port)
        {
            if (old is null)
            {
                Added.Add(port);
                return;
            }

            Compared++;
            if (ReferenceEquals(old, port) || old.Equals(port))
            {
                Unchanged++;
            }
            else if (old.HasSameListeners(port))
            {
                Updated.Add(port);
            }
            else
            {
                Restarted.Add(port);
            }
        }

        public ReconcilePlan Build(List<ServicePortKey> removed, List<ServicePortKey> duplicates) =>
            new(Added, removed, Updated, Restarted, Unchanged, duplicates);
    }
}
