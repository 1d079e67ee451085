using Microsoft.Extensions.Hosting;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Kubernetes;

/// <summary>
/// Starts the <see cref="EndpointsController"/> with the host: it reconciles every Service then and
/// follows each write after. The container disposes the controller, so it keeps Endpoints current
/// while the data plane drains.
/// </summary>
internal sealed class EndpointsControllerService(EndpointsController controller) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        controller.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
