using System.IO.Pipelines;
using System.Net;
using System.Text;
using ServiceProxy.Host.Following;

namespace ServiceProxy.Tests.Host.Following;

public sealed class RemoteApiResponsesTests
{
    [Fact]
    public async Task A_watch_line_longer_than_the_limit_fails_while_many_short_lines_pass()
    {
        var shortLines = string.Concat(Enumerable.Repeat(new string('a', 1000) + "\n", 100));
        Assert.Equal(shortLines, await ReadAsync("http://api.test/api/v1/services?watch=true", shortLines, maxBytes: 2048));

        var longLine = new string('a', 5000) + "\n";
        await Assert.ThrowsAsync<IOException>(() => ReadAsync("http://api.test/api/v1/services?watch=true", longLine, maxBytes: 2048));
    }

    [Fact]
    public async Task A_list_longer_than_the_limit_fails_whatever_its_lines()
    {
        var body = string.Concat(Enumerable.Repeat("{}\n", 1000));
        await Assert.ThrowsAsync<IOException>(() => ReadAsync("http://api.test/api/v1/services", body, maxBytes: 2048));
        Assert.Equal(body, await ReadAsync("http://api.test/api/v1/services", body, maxBytes: 4096));
    }

    [Fact]
    public async Task The_flow_sending_a_watch_hears_when_its_response_headers_arrive()
    {
        var opened = 0;
        RemoteApiResponses.WatchOpened.Value = () => opened++;
        await ReadAsync("http://api.test/api/v1/services?watch=true", "", maxBytes: 1024);
        await ReadAsync("http://api.test/api/v1/services", "", maxBytes: 1024);
        Assert.Equal(1, opened);
    }

    [Fact]
    public async Task A_list_is_handed_over_only_once_its_whole_body_arrived()
    {
        // KubernetesClient reads a list synchronously; were the rest still on the wire, that read would block the thread it runs on.
        var body = new Pipe();
        await body.Writer.WriteAsync(Encoding.UTF8.GetBytes("""{"items":["""));
        using var handler = new RemoteApiResponses(1024) { InnerHandler = new Answer(body.Reader.AsStream()) };
        using var client = new HttpClient(handler);
        var sending = client.GetAsync("http://api.test/api/v1/services", HttpCompletionOption.ResponseHeadersRead);

        await Task.Delay(100);
        Assert.False(sending.IsCompleted, "the response was handed over before its body ended");
        await body.Writer.WriteAsync(Encoding.UTF8.GetBytes("]}"));
        await body.Writer.CompleteAsync();
        using var response = await sending;
        Assert.Equal("""{"items":[]}""", await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> ReadAsync(string url, string body, int maxBytes)
    {
        using var handler = new RemoteApiResponses(maxBytes) { InnerHandler = new Answer(body) };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    private sealed class Answer(Func<HttpContent> content) : HttpMessageHandler
    {
        public Answer(string body)
            : this(() => new StringContent(body, Encoding.UTF8, "application/json"))
        {
        }

        public Answer(Stream body)
            : this(() => new StreamContent(body))
        {
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content(), RequestMessage = request });
    }
}
