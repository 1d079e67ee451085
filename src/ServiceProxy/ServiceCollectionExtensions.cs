using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy;

/// <summary>Registers the data plane in a service collection.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ServiceProxyServer"/> and a hosted service that runs it, with the default
    /// <see cref="ServiceProxyOptions"/>. The embedder registers the <see cref="IProxyConfigProvider"/>
    /// (e.g. an <see cref="InMemoryConfigProvider"/>); ILoggerFactory, IMeterFactory and TimeProvider
    /// are taken from the container when present, and so is an <see cref="IServicePortObserver"/>.
    /// </summary>
    public static IServiceCollection AddServiceProxy(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ServiceProxyOptions>();
        return AddServer(services);
    }

    /// <summary>As <see cref="AddServiceProxy(IServiceCollection)"/>, with the options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddServiceProxy(this IServiceCollection services, Action<ServiceProxyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ServiceProxyOptions>().Configure(configure);
        return AddServer(services);
    }

    /// <summary>
    /// As <see cref="AddServiceProxy(IServiceCollection)"/>, with
    /// <see cref="ServiceProxyOptions"/> bound from <paramref name="configuration"/> (a section such as
    /// <c>ServiceProxy</c>, whose keys are the property names: <c>MaxConnections</c>, <c>Tcp:Engine</c>,
    /// <c>Tcp:IdleTimeout</c>…). Keys the section does not set keep the property's default.
    /// </summary>
    public static IServiceCollection AddServiceProxy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ServiceProxyOptions>().Bind(configuration);
        return AddServer(services);
    }

    private static IServiceCollection AddServer(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ServiceProxyServer(
            sp.GetRequiredService<IProxyConfigProvider>(),
            sp.GetRequiredService<IOptions<ServiceProxyOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IServicePortObserver>()));
        services.AddHostedService<ServiceProxyHostedService>();
        return services;
    }
}
