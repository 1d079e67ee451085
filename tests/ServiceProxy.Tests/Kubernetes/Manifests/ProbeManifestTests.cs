using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Manifests;

public class ProbeManifestTests
{
    [Fact]
    public void A_readiness_probe_is_read_from_a_manifest()
    {
        var result = ManifestReader.LoadText("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
            spec:
              containers:
              - name: web
                ports:
                - name: http
                  containerPort: 8080
                readinessProbe:
                  httpGet:
                    path: /healthz
                    port: http
                    scheme: HTTP
                    httpHeaders:
                    - name: X-Probe
                      value: "1"
                  initialDelaySeconds: 2
                  periodSeconds: 1
                  failureThreshold: 2
                livenessProbe:
                  exec:
                    command: [cat, /tmp/alive]
            status:
              podIP: 127.0.0.1
            """);

        Assert.Empty(result.Errors);
        var probe = Assert.IsType<Pod>(Assert.Single(result.Objects).Object).Spec!.Containers![0].ReadinessProbe!;
        Assert.Equal("/healthz", probe.HttpGet!.Path);
        Assert.Equal(IntOrString.FromString("http"), probe.HttpGet.Port);
        Assert.Equal("X-Probe", Assert.Single(probe.HttpGet.HttpHeaders!).Name);
        Assert.Equal((2, 1, 2), (probe.InitialDelaySeconds, probe.PeriodSeconds, probe.FailureThreshold));
    }
}
