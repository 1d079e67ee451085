using ServiceProxy.Host.Admin;

namespace ServiceProxy.Host.Cli;

/// <summary>REST paths of the admin API, and the CLI's resource words (svc, ep, po, …).</summary>
internal static class ApiPaths
{
    public static string Collection(KubeResource resource, string? @namespace) =>
        @namespace is null ? $"/api/v1/{resource.Plural}" : $"/api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/{resource.Plural}";

    public static string Item(KubeResource resource, string @namespace, string name) =>
        $"{Collection(resource, @namespace)}/{Uri.EscapeDataString(name)}";

    /// <summary>The resource a CLI word names, or kubectl's error.</summary>
    public static KubeResource Resolve(string word) =>
        KubeResource.Find(word) ?? throw new CliException($"error: the server doesn't have a resource type \"{word}\"");
}
