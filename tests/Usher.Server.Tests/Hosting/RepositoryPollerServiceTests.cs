using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Repository;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Hosting;

public sealed class RepositoryPollerServiceTests
{
    [Fact]
    public async Task Poll_OnEachInterval_LoadsAModelDroppedIntoTheRepository()
    {
        using var repo = new TempDirectory();
        SampleRepository.CopySample(repo.Path, "fraud");
        var time = new FakeTimeProvider();
        await using var app = await UsherApp.StartAsync(repo.Path, repo: r => r.PollSeconds = 30, configure: b => b.Services.AddSingleton<TimeProvider>(time));

        TestModels.WriteFixedBatchModel(repo.Combine("fixed", "1"));
        Assert.Null(app.Models.Find("fixed"));

        // Advance fake time by one interval until the poller's timer has been created and fires.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (app.Models.Find("fixed")?.Versions.FirstOrDefault()?.State != ModelState.Ready)
        {
            Assert.True(DateTime.UtcNow < deadline, "the poller did not load the new model");
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(20);
        }

        Assert.Equal(ModelState.Ready, app.Models.Find("fraud")!.Versions[0].State);
    }
}
