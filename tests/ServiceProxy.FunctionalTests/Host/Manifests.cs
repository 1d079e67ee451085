namespace ServiceProxy.FunctionalTests.Host;

/// <summary>The seed's manifests, with the test's free nodePort and the backends' named port.</summary>
internal static class Manifests
{
    public static string MyAppService(int nodePort, string? sessionAffinity = null) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: myapp
          namespace: default
        spec:
          selector:
            app: myapp
            release: canary
        {(sessionAffinity is null ? string.Empty : $"  sessionAffinity: {sessionAffinity}\n")}  type: NodePort
          ports:
          - port: 80
            targetPort: http
            nodePort: {nodePort}

        """;

    public const string RedisService = """
        apiVersion: v1
        kind: Service
        metadata:
          name: redis
          namespace: default
        spec:
          selector:
            app: redis
            role: logstor
          type: ClusterIP
          ports:
          - port: 6379
            targetPort: http

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
