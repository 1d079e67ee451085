// The data plane fed by the Kubernetes control plane (packages ServiceProxy and ServiceProxy.Kubernetes):
// manifests read by ManifestReader, kept in the object store (validated, defaulted and allocated as
// kube-apiserver would), and turned into the data plane's snapshot by RegistryConfigProvider, all
// registered by AddServiceProxyRegistry().
//   dotnet run --project samples/Embedding.Kubernetes
// Proxies 127.0.0.1:<free port> to a small echo backend started here, prints one round trip, moves the
// Service to a second port through the store, prints another, then serves until Ctrl-C.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Samples;
using ServiceProxy;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes;

using var backend = EchoBackend.Start();
var frontPort = EchoBackend.FreePort();

// A Service without a selector plus its Endpoints, as `svcproxy run -f` or `kubectl apply -f` would read them.
var yaml = $"""
    apiVersion: v1
    kind: Service
    metadata: {"{"}name: echo{"}"}
    spec:
      externalIPs: [127.0.0.1]
      ports: [{"{"}name: tcp, port: {frontPort}, targetPort: {backend.EndPoint.Port}{"}"}]
    ---
    apiVersion: v1
    kind: Endpoints
    metadata: {"{"}name: echo{"}"}
    subsets:
    - addresses: [{"{"}ip: 127.0.0.1{"}"}]
      ports: [{"{"}name: tcp, port: {backend.EndPoint.Port}{"}"}]
    """;
var loaded = ManifestReader.LoadText(yaml, "echo.yaml");
if (!loaded.Succeeded)
{
    // Each error is located: echo.yaml:7 spec.ports[0].port: Invalid value: ...
    throw new InvalidOperationException(string.Join(Environment.NewLine, loaded.Errors));
}

// The registry (store, validator, endpoints controller) and the data plane that follows it.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddServiceProxyRegistry();
builder.Services.AddServiceProxy();
using var host = builder.Build();

var store = host.Services.GetRequiredService<IObjectStore>();
foreach (var item in loaded.Objects)
{
    switch (item.Object)
    {
        case Service service: await store.CreateAsync(service); break;
        case Endpoints endpoints: await store.CreateAsync(endpoints); break;
    }
}

await host.StartAsync();

Console.WriteLine($"127.0.0.1:{frontPort} -> {backend.EndPoint} echoed: {await EchoBackend.RoundTripAsync(frontPort)}");

// A write to the store reaches the data plane: the Service moves to another port.
var movedPort = EchoBackend.FreePort();
var echo = store.Get<Service>("default", "echo")!;
await store.UpdateAsync(echo with { Spec = echo.Spec with { Ports = [echo.Spec.Ports![0] with { Port = movedPort }] } });

// The data plane applies the new snapshot on its own: wait (at most 5 s) until it listens there.
var server = host.Services.GetRequiredService<ServiceProxyServer>();
for (var i = 0; i < 100 && !server.GetStatus().Any(s => s.Listening.Any(e => e.Port == movedPort)); i++)
{
    await Task.Delay(50);
}

Console.WriteLine($"127.0.0.1:{movedPort} -> {backend.EndPoint} echoed: {await EchoBackend.RoundTripAsync(movedPort)}");

await host.WaitForShutdownAsync();
