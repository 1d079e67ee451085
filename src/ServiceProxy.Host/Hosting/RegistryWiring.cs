using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// The reconciler: registry writes → EndpointsController (pods to endpoints) → RegistryConfigProvider
/// (per-service-port snapshots) → ServiceProxyServer, which diffs per service port so services a
/// write did not touch keep their listeners and connections.
/// </summary>
internal static class RegistryWiring
{
    public static void AddRegistryDataPlane(IServiceCollection services, ServiceProxyOptions proxyOptions)
    {
        services.AddSingleton(sp =>
        {
            var controller = new EndpointsController(sp.GetRequiredKeyedService<IObjectStore>("registry"), sp.GetRequiredService<ILogger<EndpointsController>>());
            controller.Start();
            return controller;
        });
        services.AddSingleton<IProxyConfigProvider>(sp =>
        {
            // The endpoints controller must follow the store before the data plane's first snapshot.
            _ = sp.GetRequiredService<EndpointsController>();
            return new RegistryConfigProvider(sp.GetRequiredKeyedService<IObjectStore>("registry"), sp.GetRequiredService<RegistryOptions>(), sp.GetRequiredService<ILogger<RegistryConfigProvider>>());
        });
        services.AddServiceProxy(o =>
        {
            o.AccessLog = proxyOptions.AccessLog;
            o.MaxConnections = proxyOptions.MaxConnections;
            o.ShutdownDrainTimeout = proxyOptions.ShutdownDrainTimeout;
            o.Tcp.Engine = proxyOptions.Tcp.Engine;
            o.EventLoops.BusyPoll = proxyOptions.EventLoops.BusyPoll;
            o.EventLoops.Count = proxyOptions.EventLoops.Count;
            o.Tcp.AcceptOnEventLoops = proxyOptions.Tcp.AcceptOnEventLoops;
        });
    }
}
