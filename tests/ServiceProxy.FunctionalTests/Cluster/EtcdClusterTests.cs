using dotnet_etcd;
using Grpc.Core;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>The etcd fixture itself: a real 3-member cluster that keeps quorum through one kill and cleans up after itself.</summary>
public sealed class EtcdClusterTests
{
    [Fact]
    public async Task Three_members_keep_quorum_through_a_kill_and_a_restart_and_leave_nothing_behind()
    {
        string root;
        int[] pids;
        await using (var cluster = await EtcdCluster.StartAsync(3))
        {
            root = cluster.RootDirectory;
            pids = [.. cluster.Members.Select(m => m.Process!.Id)];
            Assert.Equal(3, cluster.ClientUrls.Split(',').Length);
            using var client = Client(cluster.ClientUrls);
            await client.PutAsync("/fixture/a", "1");

            await cluster.KillAsync(0);
            Assert.False(cluster.Members[0].IsRunning);
            await client.PutAsync("/fixture/b", "2");
            Assert.True(await EtcdCluster.IsHealthyAsync(cluster.Members[1]));

            cluster.Restart(0);
            await cluster.WaitHealthyAsync(0);
            using var restarted = Client(cluster.Members[0].ClientUrl);
            Assert.Equal("2", await restarted.GetValAsync("/fixture/b"));
        }

        Assert.False(Directory.Exists(root));
        Assert.All(pids, pid => Assert.False(IsAlive(pid)));
    }

    [Fact]
    public async Task One_member_starts_alone()
    {
        await using var cluster = await EtcdCluster.StartAsync(1);
        using var client = Client(cluster.ClientUrls);
        await client.PutAsync("/fixture/single", "x");
        Assert.Equal("x", await client.GetValAsync("/fixture/single"));
    }

    private static EtcdClient Client(string urls) =>
        new(urls, configureChannelOptions: options => options.Credentials = ChannelCredentials.Insecure);

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
