using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.HealthChecks;

/// <summary>Registers the health-check node ports of the registry's Services.</summary>
public static class HealthCheckServiceCollectionExtensions
{
    /// <summary>
    /// Serves every LoadBalancer Service's <c>healthCheckNodePort</c> (externalTrafficPolicy
    /// <c>Local</c>) on <see cref="RegistryOptions.NodeAddresses"/> (every address when empty): HTTP
    /// 200 with the Service's name and <c>localEndpoints</c> count while it has ready endpoints on
    /// <see cref="Nodes.NodeOptions.Name"/>, 503 otherwise, as kube-proxy answers a cloud load
    /// balancer. Needs the registry of
    /// <see cref="RegistryServiceCollectionExtensions.AddServiceProxyRegistry(IServiceCollection)"/>.
    /// </summary>
    public static IServiceCollection AddServiceProxyHealthCheckNodePorts(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HealthCheckServer>(sp => new HealthCheckServer(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value,
            sp.GetService<ILogger<HealthCheckServer>>())));
        return services;
    }
}
