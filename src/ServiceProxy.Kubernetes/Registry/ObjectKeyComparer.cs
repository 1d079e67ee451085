namespace ServiceProxy.Kubernetes.Registry;

/// <summary>Orders keys by namespace then name, ordinally (Kubernetes lists sort the same way).</summary>
internal sealed class ObjectKeyComparer : IComparer<(string Namespace, string Name)>
{
    public static ObjectKeyComparer Instance { get; } = new();

    public int Compare((string Namespace, string Name) x, (string Namespace, string Name) y)
    {
        var byNamespace = string.CompareOrdinal(x.Namespace, y.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(x.Name, y.Name);
    }
}
