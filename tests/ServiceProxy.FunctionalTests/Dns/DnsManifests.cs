namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>The cluster the DNS tests resolve: every kind of Service the specification names, and a Pod.</summary>
internal static class DnsManifests
{
    public static readonly string Cluster = """
        apiVersion: v1
        kind: Service
        metadata: {name: myapp}
        spec:
          ports: [{name: http, port: 80}, {name: admin, port: 81, protocol: UDP}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec: {type: ExternalName, externalName: db.example.org}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec:
          clusterIP: None
          ports: [{name: pg, port: 5432}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db}
        subsets:
        - addresses: [{ip: 10.9.0.1, hostname: db-0}, {ip: 10.9.0.2}]
          notReadyAddresses: [{ip: 10.9.0.3, hostname: db-2}]
          ports: [{name: pg, port: 5432}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: empty}
        spec:
          clusterIP: None
          ports: [{port: 80}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: team}
        spec:
          containers: [{name: c, image: nginx}]
        status: {podIP: 10.8.0.7}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: big}
        spec:
          clusterIP: None
          ports: [{port: 80}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: big}
        subsets:
        - addresses:
        """ + string.Concat(Enumerable.Range(1, 200).Select(i => $"\n  - {{ip: 10.7.{i / 250}.{i % 250 + 1}}}")) + "\n";
}
