using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Usher.Backends.Onnx.Samples;
using Usher.Server.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// Under inline scheduling the REST frontend counts its inferences in flight and sends a lone one to
/// the thread pool: only the first of overlapping requests is lone, every request is counted out on
/// every path (an answer, a refused body, an unknown model), and answers are what the model computes.
/// </summary>
public sealed class LoneRequestHandOffTests
{
    [Fact]
    public void OnlyARequestWithNoOtherInFlight_IsLone()
    {
        var handOff = new LoneRequestHandOff(inline: true);

        Assert.True(handOff.Enter());
        Assert.False(handOff.Enter());
        Assert.False(handOff.Enter());
        handOff.Exit();
        handOff.Exit();
        Assert.Equal(1, handOff.InFlight);
        Assert.False(handOff.Enter());
        handOff.Exit();
        handOff.Exit();

        Assert.Equal(0, handOff.InFlight);
        Assert.True(handOff.Enter());
        handOff.Exit();
    }

    [Fact]
    public void WithoutInlineScheduling_NothingIsCountedOrHandedOff()
    {
        var handOff = new LoneRequestHandOff(inline: false);

        Assert.False(handOff.Enter());
        Assert.False(handOff.Enter());
        Assert.Equal(0, handOff.InFlight);
        handOff.Exit();
        Assert.Equal(0, handOff.InFlight);
    }

    [Fact]
    public async Task OverKestrel_EveryRequestIsCountedOut_AndAnswersMatchTheModel()
    {
        using var repository = new TempDirectory();
        SampleRepository.CopySample(repository.Path, SampleModels.FraudName);
        var handOff = new LoneRequestHandOff(inline: true);
        await using var app = await UsherApp.StartAsync(repository.Path, kestrel: true, configure: b => b.Services.AddSingleton(handOff));

        // Lone requests, one after another: each hands off and is answered.
        for (var i = 0; i < 5; i++)
        {
            await AssertAnswerAsync(app.Client, seed: i);
        }

        // Overlapping requests, then the paths that end early.
        await Task.WhenAll(Enumerable.Range(10, 32).Select(seed => AssertAnswerAsync(app.Client, seed)));
        using (var bad = await app.Client.PostAsync(new Uri("/v2/models/fraud/infer", UriKind.Relative), new StringContent("{\"inputs\":[", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        using (var missing = await app.Client.PostAsJsonAsync("/v2/models/nope/infer", Request(Row(1))))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        Assert.Equal(0, handOff.InFlight);
        Assert.True(handOff.Enter());
        handOff.Exit();
    }

    private static async Task AssertAnswerAsync(HttpClient client, int seed)
    {
        var row = Row(seed);
        var json = await HttpAssert.OkJsonAsync(await client.PostAsJsonAsync("/v2/models/fraud/infer", Request(row)));
        var data = json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(2), row));
        Assert.Equal(expected[0], data[0], 1e-5);
        Assert.Equal(expected[1], data[1], 1e-5);
    }

    private static object Request(float[] row) => new { inputs = new[] { new { name = "features", shape = new[] { 1, 30 }, datatype = "FP32", data = row } } };

    private static float[] Row(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 30).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }
}
