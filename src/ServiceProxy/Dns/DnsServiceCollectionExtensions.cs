using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServiceProxy.Dns;

/// <summary>Registers a <see cref="DnsServer"/> in a service collection.</summary>
public static class DnsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DnsServer"/> and a hosted service that runs it, with
    /// <see cref="DnsServerOptions"/> bound from <paramref name="configuration"/> (keys are the property
    /// names: <c>EndPoint</c>, <c>Upstreams</c>, <c>Forward</c>…) and checked at start. The embedder
    /// registers the <see cref="DnsZone"/>. The server listens only when <c>EndPoint</c> is set.
    /// </summary>
    public static IServiceCollection AddServiceProxyDns(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DnsServerOptions>().Bind(configuration).ValidateOnStart();
        return AddServer(services);
    }

    /// <summary>As <see cref="AddServiceProxyDns(IServiceCollection, IConfiguration)"/>, with the options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddServiceProxyDns(this IServiceCollection services, Action<DnsServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DnsServerOptions>().Configure(configure).ValidateOnStart();
        return AddServer(services);
    }

    private static IServiceCollection AddServer(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DnsServerOptions>, DnsServerOptionsValidator>());
        services.TryAddSingleton(sp => new DnsServer(
            sp.GetRequiredService<DnsZone>(),
            sp.GetRequiredService<IOptions<DnsServerOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService<DnsServerHostedService>();
        return services;
    }

    private sealed class DnsServerOptionsValidator : IValidateOptions<DnsServerOptions>
    {
        public ValidateOptionsResult Validate(string? name, DnsServerOptions options)
        {
            var failures = DnsServer.Validate(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Creates the server, and so the zone, only when it is to listen: an idle zone would still follow every change.</summary>
    private sealed class DnsServerHostedService(IServiceProvider services, IOptions<DnsServerOptions> options) : IHostedService
    {
        private DnsServer? _server;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (string.IsNullOrEmpty(options.Value.EndPoint))
            {
                return Task.CompletedTask;
            }

            _server = services.GetRequiredService<DnsServer>();
            return _server.StartAsync(cancellationToken);
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_server is not null)
            {
                await _server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
