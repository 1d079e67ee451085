using ServiceProxy.Host.Admin;

namespace ServiceProxy.Host.Cli;

/// <summary>REST paths of the admin API, and the CLI's resource words (svc, ep, po, …).</summary>
internal static class ApiPaths
{
    /// <summary>The collection in <paramref name="namespace"/> (null: every namespace); cluster-scoped resources ignore it.</summary>
    public static string Collection(KubeResource resource, string? @namespace)
    {
        var prefix = resource.Group.Length == 0 ? $"/api/{resource.Version}" : $"/apis/{resource.Group}/{resource.Version}";
        return @namespace is null || !resource.Namespaced
            ? $"{prefix}/{resource.Plural}"
            : $"{prefix}/namespaces/{Uri.EscapeDataString(@namespace)}/{resource.Plural}";
    }

    public static string Item(KubeResource resource, string @namespace, string name) =>
        $"{Collection(resource, @namespace)}/{Uri.EscapeDataString(name)}";

    /// <summary>The resource a CLI word names, or kubectl's error.</summary>
    public static KubeResource Resolve(string word) =>
        KubeResource.Find(word) ?? throw new CliException($"error: the server doesn't have a resource type \"{word}\"");
}
