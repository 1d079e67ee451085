using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;

namespace ServiceProxy;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ServiceProxyServer"/> and a hosted service that runs it. The embedder
    /// registers the <see cref="IProxyConfigProvider"/> (e.g. an <see cref="InMemoryConfigProvider"/>);
    /// ILoggerFactory, IMeterFactory and TimeProvider are taken from the container when present.
    /// </summary>
    public static IServiceCollection AddServiceProxy(this IServiceCollection services, Action<ServiceProxyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ServiceProxyOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new ServiceProxyServer(
            sp.GetRequiredService<IProxyConfigProvider>(),
            sp.GetRequiredService<IOptions<ServiceProxyOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService<ServiceProxyHostedService>();
        return services;
    }
}
