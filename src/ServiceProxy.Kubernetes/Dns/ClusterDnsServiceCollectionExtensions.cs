using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServiceProxy.Dns;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes.Dns;

/// <summary>Registers the cluster DNS records of the registry.</summary>
public static class ClusterDnsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ClusterDnsRecords"/>, following the registry of
    /// <see cref="RegistryServiceCollectionExtensions.AddServiceProxyRegistry(IServiceCollection)"/> with
    /// <see cref="RegistryOptions.Dns"/>, and its <see cref="DnsZone"/>, which
    /// <see cref="DnsServiceCollectionExtensions.AddServiceProxyDns(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
    /// serves.
    /// </summary>
    public static IServiceCollection AddServiceProxyClusterDns(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new ClusterDnsRecords(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Dns,
            sp.GetService<ILogger<ClusterDnsRecords>>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusterDnsRecords>().Zone);
        return services;
    }
}
