using System.Net.Sockets;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>Real requests through a service's NodePort, each on a new connection, with bounded retries while a change reaches the data plane.</summary>
internal static class Traffic
{
    /// <summary>Six-request curl loops (at most 50, a few seconds) until one satisfies <paramref name="done"/>; returns the last loop.</summary>
    public static async Task<List<string>> EventuallyAsync(string url, Func<List<string>, bool> done)
    {
        List<string> names = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                names = await Curl.LoopAsync(url, 6, TimeSpan.FromSeconds(30));
                if (done(names))
                {
                    return names;
                }
            }
            catch (HttpRequestException)
            {
                // The listener is not up yet.
            }

            await Task.Delay(100);
        }

        return names;
    }

    /// <summary>The port stops accepting (bounded wait): the service is gone from the data plane.</summary>
    public static async Task AssertRefusedAsync(string url)
    {
        var port = new Uri(url).Port;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
            }
            catch (SocketException)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"127.0.0.1:{port} still accepts connections");
    }
}
