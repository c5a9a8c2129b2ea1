using System.Globalization;
using System.Text;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Streaming.Pipeline;
using Xunit.Abstractions;

namespace Usher.Streaming.Tests.Pipeline;

/// <summary>
/// The in-process scorer's answers: the REST writer's JSON, each in an array of its own although the
/// thread reuses one writer, allocating the answer and a fixed overhead (the REST writer asks its
/// output for 16 KB at a time; a writer per answer grew to that every time).
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class RouterScorerTests(ITestOutputHelper output)
{
    /// <summary>Bytes an answer may allocate beside its own array: the REST writer's JSON writer object (about 170 B).</summary>
    private const long OverheadBudget = 512;

    [Fact]
    public void Encode_ThenAnother_TheFirstAnswerKeepsItsBytes()
    {
        var first = RouterScorer.Encode(Response("first", 0.25f, 0.75f));
        var firstText = Encoding.UTF8.GetString(first);
        var second = RouterScorer.Encode(Response("second-and-longer", 0.5f, 0.125f));

        Assert.Equal(firstText, Encoding.UTF8.GetString(first));
        Assert.Contains("\"id\":\"first\"", firstText, StringComparison.Ordinal);
        Assert.Contains("\"data\":[0.25,0.75]", firstText, StringComparison.Ordinal);
        Assert.Contains("\"data\":[0.5,0.125]", Encoding.UTF8.GetString(second), StringComparison.Ordinal);
        Assert.Equal('}', (char)first[^1]);
    }

    [Fact]
    public void Encode_AllocatesTheAnswerAndAFixedOverhead()
    {
        var response = Response("m-1", 0.9341235f, 0.06587654f);
        var length = RouterScorer.Encode(response).Length;
        var lowest = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            const int loops = 200;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < loops; i++)
            {
                _ = RouterScorer.Encode(response);
            }

            lowest = Math.Min(lowest, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)loops);
        }

        // The answer's own array: its bytes plus the array header (24 B on 64-bit), rounded up to 8.
        var array = 24 + ((length + 7) / 8 * 8);
        output.WriteLine($"encode: {lowest.ToString("F0", CultureInfo.InvariantCulture)} B per answer of {length} B");
        Assert.True(lowest >= array, $"{lowest:F0} B cannot hold an answer of {length} B");
        Assert.True(lowest <= array + OverheadBudget, $"an answer of {length} B allocated {lowest:F0} B; budget {array} + {OverheadBudget}");
    }

    private static InferenceResponse Response(string id, float legit, float fraud) => new()
    {
        ModelName = "fraud",
        ModelVersion = 2,
        Id = id,
        Outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [legit, fraud])],
    };
}
