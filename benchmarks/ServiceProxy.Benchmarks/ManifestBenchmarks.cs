using System.Text;
using BenchmarkDotNet.Attributes;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Benchmarks;

/// <summary>Loading (parse, decode, default, validate) and validating 1 000 Services with their Endpoints.</summary>
[MemoryDiagnoser]
public class ManifestBenchmarks
{
    private const int Services = 1_000;

    private string _yaml = null!;
    private Service[] _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < Services; i++)
        {
            yaml.Append($"""
                apiVersion: v1
                kind: Service
                metadata:
                  name: svc-{i}
                  namespace: bench
                  labels:
                    app: app-{i}
                spec:
                  type: {(i % 10 == 0 ? "NodePort" : "ClusterIP")}
                  clusterIP: 10.96.{i / 250}.{i % 250 + 1}
                  sessionAffinity: {(i % 2 == 0 ? "ClientIP" : "None")}
                  ports:
                  - name: http
                    port: 80
                    targetPort: 8080
                    protocol: TCP
                  - name: dns
                    port: 53
                    targetPort: 53
                    protocol: UDP
                ---
                apiVersion: v1
                kind: Endpoints
                metadata:
                  name: svc-{i}
                  namespace: bench
                subsets:
                - addresses:
                  - ip: 10.244.{i / 250}.{i % 250 + 1}
                  - ip: 10.245.{i / 250}.{i % 250 + 1}
                  ports:
                  - name: http
                    port: 8080
                    protocol: TCP
                  - name: dns
                    port: 53
                    protocol: UDP
                ---

                """);
        }

        _yaml = yaml.ToString();
        var result = ManifestReader.LoadText(_yaml, "bench.yaml");
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"generated manifests do not load: {result.Errors[0]}");
        }

        _services = [.. result.Objects.Select(o => o.Object).OfType<Service>()];
        if (_services.Length != Services)
        {
            throw new InvalidOperationException($"{_services.Length} services loaded, {Services} expected");
        }
    }

    [Benchmark]
    public int LoadAndValidate() => ManifestReader.LoadText(_yaml, "bench.yaml").Objects.Count;

    [Benchmark]
    public int ValidateOnly()
    {
        var errors = 0;
        foreach (var service in _services)
        {
            errors += ObjectValidator.Default.Validate(service).Count;
        }

        return errors;
    }
}
