namespace ServiceProxy.Host.Admin;

/// <summary>One resource as discovery describes it (legacy APIResourceList and aggregated v2 alike).</summary>
internal sealed record ApiResourceInfo(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories)
{
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>Every resource the admin API serves, by group/version: the store's kinds and the derived read-only ones.</summary>
internal static class ApiResources
{
    private static readonly string[] ReadWrite = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] ReadOnly = ["get", "list", "watch"];

    /// <summary>Sorted by group, then resource name, as kube-apiserver lists them (kubectl get all prints in this order).</summary>
    public static IReadOnlyList<ApiResourceInfo> All { get; } = Sorted(
    [
        .. KubeResource.All.Select(r => new ApiResourceInfo(
            r.Group, r.Version, r.Plural, r.Singular, r.Kind, r.Namespaced, ReadWrite, r.ShortNames, r.Kind is "Service" or "Pod" ? ["all"] : [])),
        new(string.Empty, "v1", "events", "event", "Event", Namespaced: true, ReadOnly, ["ev"], []),
        new(string.Empty, "v1", "namespaces", "namespace", "Namespace", Namespaced: false, ["get", "list"], ["ns"], []),
        new("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", Namespaced: true, ReadOnly, [], []),
        new("events.k8s.io", "v1", "events", "event", "Event", Namespaced: true, ReadOnly, ["ev"], []),
    ]);

    /// <summary>The groups under /apis (the core group lives under /api).</summary>
    public static IReadOnlyList<string> NamedGroups { get; } = [.. All.Select(r => r.Group).Where(g => g.Length > 0).Distinct()];

    private static IReadOnlyList<ApiResourceInfo> Sorted(IEnumerable<ApiResourceInfo> resources) =>
        [.. resources.OrderBy(r => r.Group, StringComparer.Ordinal).ThenBy(r => r.Plural, StringComparer.Ordinal)];

    public static IEnumerable<ApiResourceInfo> InGroupVersion(string group, string version) =>
        All.Where(r => r.Group == group && r.Version == version);
}
