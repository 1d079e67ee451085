using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>
/// Hostile packets sent to the running host's DNS port: each gets FORMERR, NOTIMP or REFUSED (or
/// nothing, for what is not a query), never a crash or a stall, and a query flood never starves
/// the data plane (the canary Service keeps proxying).
/// </summary>
[Collection(nameof(DnsHostCollection))]
public sealed class DnsHostileTests(DnsHostFixture fixture)
{
    private static readonly byte[] Header = [0xAB, 0xCD, 1, 0];

    private static byte[] Query(byte[] counts, params byte[] body) => [.. Header, .. counts, .. body];

    private async Task<byte[]?> ExchangeAsync(byte[] packet)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(IPAddress.Loopback, fixture.Host.Port);
        await socket.SendAsync(packet);
        var buffer = new byte[65535];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            var received = await socket.ReceiveAsync(buffer, timeout.Token);
            return buffer[..received];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public static TheoryData<string, byte[], int> Packets => new()
    {
        { "compression pointer to itself", Query([0, 1, 0, 0, 0, 0, 0, 0], 0xC0, 12, 0, 1, 0, 1), 1 },
        { "pointer loop in the additional section", Query([0, 1, 0, 0, 0, 0, 0, 1], [0, 0, 1, 0, 1, 0xC0, 17, 0xC0, 17, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]), 1 },
        { "truncated question", Query([0, 1, 0, 0, 0, 0, 0, 0], 7, (byte)'c', (byte)'l'), 1 },
        { "oversized: 60 000 bytes of junk after the question", Query([0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 1, .. new byte[60000]]), 1 },
        { "label length 200", Query([0, 1, 0, 0, 0, 0, 0, 0], [200, .. new byte[200], 0, 0, 1, 0, 1]), 1 },
        { "opcode IQUERY", [0xAB, 0xCD, 1 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1], 4 },
        { "opcode 15", [0xAB, 0xCD, 15 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1], 4 },
        { "class CHAOS", Query([0, 1, 0, 0, 0, 0, 0, 0], [7, .. "version"u8, 4, .. "bind"u8, 0, 0, 16, 0, 3]), 5 },
        { "class 999", Query([0, 1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 3, 0xE7]), 5 },
        { "AXFR of the zone", Query([0, 1, 0, 0, 0, 0, 0, 0], [7, .. "cluster"u8, 5, .. "local"u8, 0, 0, 252, 0, 1]), 5 },
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public async Task A_hostile_packet_gets_its_error_code_and_the_server_keeps_answering(string what, byte[] packet, int rcode)
    {
        var response = await ExchangeAsync(packet);

        Assert.True(response is not null, $"{what}: no answer");
        Assert.Equal((0xAB, 0xCD), (response![0], response[1]));
        Assert.True((response[2] & 0x80) != 0, what);
        Assert.Equal(rcode, response[3] & 0xF);
        Assert.Equal("NOERROR", (await Dig.RunAsync(fixture.Host.Port, "myapp.default.svc.cluster.local", "A")).Status);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xAB })]
    [InlineData(new byte[] { 0xAB, 0xCD, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })] // a response: answering it could loop two servers
    public async Task Runts_and_responses_get_no_answer(byte[] packet)
    {
        Assert.Null(await ExchangeAsync(packet));
        Assert.Equal("NOERROR", (await Dig.RunAsync(fixture.Host.Port, "myapp.default.svc.cluster.local", "A")).Status);
    }

    [Fact]
    public async Task A_tcp_client_that_stalls_mid_query_or_sends_garbage_does_not_block_others()
    {
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stalled.ConnectAsync(IPAddress.Loopback, fixture.Host.Port);
        await stalled.SendAsync(new byte[] { 0xFF, 0xFF, 1, 2, 3 }); // announces 65 535 bytes, sends 3
        using var garbage = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await garbage.ConnectAsync(IPAddress.Loopback, fixture.Host.Port);
        await garbage.SendAsync(new byte[] { 0, 2, 0xAB, 0xCD });

        Assert.Equal("NOERROR", (await Dig.RunAsync(fixture.Host.Port, "+tcp", "myapp.default.svc.cluster.local", "A")).Status);
    }

    [Fact]
    public async Task A_query_flood_does_not_starve_the_data_plane()
    {
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var senders = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(IPAddress.Loopback, fixture.Host.Port);
            byte[] query = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, .. "myapp"u8, 7, .. "default"u8, 3, .. "svc"u8, 7, .. "cluster"u8, 5, .. "local"u8, 0, 0, 1, 0, 1];
            long sent = 0;
            while (!flood.IsCancellationRequested && sent < 5_000_000)
            {
                try
                {
                    socket.Send(query);
                    sent++;
                }
                catch (SocketException)
                {
                    await Task.Yield(); // ECONNREFUSED from an earlier ICMP, or a full buffer
                }
            }

            return sent;
        })).ToArray();

        var started = Stopwatch.StartNew();
        await Task.Delay(500);
        await fixture.Host.Canary.AssertServingAsync();
        var served = started.Elapsed;
        var sent = (await Task.WhenAll(senders)).Sum();

        Assert.True(sent > 10_000, $"only {sent} queries sent");
        Assert.True(served < TimeSpan.FromSeconds(4), $"the canary took {served} under the flood");
        var after = await Dig.RunAsync(fixture.Host.Port, "+time=5", "myapp.default.svc.cluster.local", "A");
        Assert.True(after.Status == "NOERROR", $"after the flood: {after.Output}\n{fixture.Host.Canary.Host.Output}");
    }
}

/// <summary>Forwarding off: names outside the zone are refused, and the server says it does not recurse.</summary>
public sealed class DnsNoForwardingTests
{
    [Fact]
    public async Task Names_outside_the_zone_are_refused()
    {
        await using var host = await DnsHost.StartAsync(DnsManifests.Cluster, forward: false);
        var outside = await Dig.RunAsync(host.Port, "www.example.org", "A");
        var inside = await Dig.RunAsync(host.Port, "myapp.default.svc.cluster.local", "A");

        Assert.Equal("REFUSED", outside.Status);
        Assert.DoesNotContain("ra", outside.Flags);
        Assert.Equal("NOERROR", inside.Status);
    }
}
