using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Tests.Host;

/// <summary>Duration flags read and print Go's time.Duration text, as the kubelet's and kube-controller-manager's do.</summary>
public class GoDurationTextTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("0", 0)]
    public void Parses(string text, long milliseconds)
    {
        Assert.True(GoDurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("00:00:10")]
    public void Refuses(string text) => Assert.False(GoDurationText.TryParse(text, out _));

    [Theory]
    [InlineData(10_000, "10s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(500, "500ms")]
    [InlineData(0, "0s")]
    public void Formats(long milliseconds, string expected) => Assert.Equal(expected, GoDurationText.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void A_duration_flag_converts_to_a_time_span_and_names_itself_when_wrong()
    {
        var setting = RunSettings.Get("--node-monitor-grace-period");
        Assert.Equal("00:00:40", setting.ToConfigurationValue("40s"));
        Assert.Equal("40s", setting.Default);
        Assert.Equal("--node-monitor-grace-period \"40\" is not a duration (10s, 1m30s, 500ms)", Assert.Throws<FormatException>(() => setting.ToConfigurationValue("40")).Message);
    }
}
