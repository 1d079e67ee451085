namespace ServiceProxy.FunctionalTests.Host;

/// <summary>The seed's manifests, with the test's free nodePort and the backends' named port.</summary>
internal static class Manifests
{
    /// <summary>
    /// A sample manifest from samples/manifests, made fit for a test: the nodePort becomes the test's
    /// free port and the targetPort the pods' named port <c>http</c> (test backends listen on OS-picked ports).
    /// </summary>
    public static string Sample(string relativePath, int nodePort = 0)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "manifests", relativePath));
        text = System.Text.RegularExpressions.Regex.Replace(text, @"targetPort: \d+", "targetPort: http");
        return System.Text.RegularExpressions.Regex.Replace(text, @"nodePort: \d+", $"nodePort: {nodePort}");
    }

    /// <summary>A ClusterIP Service on port 80 with no selector and no Endpoints.</summary>
    public static string ClusterIPService(string name) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
        spec:
          ports:
          - port: 80

        """;

    /// <summary>A selector-less NodePort service and its hand-written Endpoints (one backend port).</summary>
    public static string StaticService(string name, int nodePort, int backendPort) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
        spec:
          type: NodePort
          ports:
          - port: 80
            nodePort: {nodePort}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata:
          name: {name}
        subsets:
        - addresses:
          - ip: 127.0.0.1
          ports:
          - port: {backendPort}

        """;

    public static readonly Dictionary<string, string> MyAppLabels = new() { ["app"] = "myapp", ["release"] = "canary" };

    public static readonly Dictionary<string, string> RedisLabels = new() { ["app"] = "redis", ["role"] = "logstor" };
}
