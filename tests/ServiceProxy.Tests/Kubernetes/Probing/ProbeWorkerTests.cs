using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;

namespace ServiceProxy.Tests.Kubernetes.Probing;

/// <summary>The kubelet's counting: consecutive results against successThreshold and failureThreshold.</summary>
public class ProbeWorkerTests
{
    private static ProbeWorker Worker(int success, int failure) => new(
        new PodKey("default", "web-1"),
        new ProbeTarget(new Probe { TcpSocket = new TcpSocketAction { Port = 80 }, SuccessThreshold = success, FailureThreshold = failure, PeriodSeconds = 10, TimeoutSeconds = 1 }, new Container { Name = "web" }, "127.0.0.1"),
        DateTimeOffset.UnixEpoch);

    /// <summary>Results as S (success), F (failure), E (error); the readiness after each as 1 or 0.</summary>
    [Theory]
    [InlineData(1, 3, "S", "1")]
    [InlineData(1, 3, "FFF", "000")]
    [InlineData(1, 3, "SFFF", "1110")]
    [InlineData(1, 3, "SFFSFFF", "1111110")]
    [InlineData(1, 1, "SFS", "101")]
    [InlineData(2, 3, "SSFFFS", "011100")]
    [InlineData(2, 3, "SFSS", "0001")]
    [InlineData(3, 2, "SSSFFSSS", "00110001")]
    [InlineData(1, 3, "EEES", "0001")]
    [InlineData(1, 3, "SFFEEEF", "1111110")]
    [InlineData(1, 2, "SFEF", "1110")]
    public void Readiness_follows_the_thresholds(int success, int failure, string results, string expected)
    {
        var worker = Worker(success, failure);
        var readiness = string.Concat(results.Select(r =>
        {
            worker.Record(r switch
            {
                'S' => ProbeOutcome.Success(),
                'F' => ProbeOutcome.Failure("dial tcp 127.0.0.1:80: connection refused"),
                _ => ProbeOutcome.Error("port http not found"),
            });
            return worker.Ready ? '1' : '0';
        }));

        Assert.Equal(expected, readiness);
    }

    [Fact]
    public void A_new_worker_is_not_ready_and_says_it_waits()
    {
        var worker = Worker(1, 3);

        Assert.False(worker.Ready);
        Assert.Equal("waiting for the first readiness probe", worker.Message);
    }

    [Fact]
    public void The_message_is_the_last_failure_while_not_ready_and_empty_when_ready()
    {
        var worker = Worker(1, 1);

        Assert.True(worker.Record(ProbeOutcome.Failure("HTTP probe failed with statuscode: 503")));
        Assert.Equal("HTTP probe failed with statuscode: 503", worker.Message);
        Assert.False(worker.Record(ProbeOutcome.Failure("HTTP probe failed with statuscode: 503")));
        Assert.True(worker.Record(ProbeOutcome.Success()));
        Assert.Equal(string.Empty, worker.Message);
    }
}
