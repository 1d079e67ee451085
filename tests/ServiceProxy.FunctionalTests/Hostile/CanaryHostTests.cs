namespace ServiceProxy.FunctionalTests.Hostile;

public sealed class CanaryHostTests
{
    [Fact]
    public async Task The_canary_answers_through_its_NodePort_and_stops_when_the_host_is_killed()
    {
        var canary = await CanaryHost.StartAsync();
        await using (canary)
        {
            await canary.AssertServingAsync();
            await canary.Host.KillAsync();
            await Assert.ThrowsAnyAsync<Exception>(canary.AssertServingAsync);
        }
    }
}
