using System.Text.Json;
using Usher.Cli.Bench;

namespace Usher.Cli.Tests.Bench;

public sealed class InputGeneratorTests
{
    private const string Metadata = """
        {"name":"m","inputs":[
          {"name":"x","datatype":"FP32","shape":[-1,3]},
          {"name":"ids","datatype":"INT64","shape":[-1,-1]},
          {"name":"mask","datatype":"BOOL","shape":[2]}]}
        """;

    [Fact]
    public void FromMetadata_VariableFirstDimension_IsTheBatchAndOtherVariableDimensionsAreOne()
    {
        var inputs = Generate(batch: 4).GetProperty("inputs").EnumerateArray().ToList();

        Assert.Equal([4L, 3L], inputs[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([4L, 1L], inputs[1].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([2L], inputs[2].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal([12, 4, 2], inputs.Select(i => i.GetProperty("data").GetArrayLength()));
    }

    [Fact]
    public void FromMetadata_Values_HaveTheInputsDatatypeAndRange()
    {
        var inputs = Generate(batch: 8).GetProperty("inputs").EnumerateArray().ToList();

        Assert.All(inputs[0].GetProperty("data").EnumerateArray(), v => Assert.InRange(v.GetDouble(), -1.0, 1.0));
        Assert.All(inputs[1].GetProperty("data").EnumerateArray(), v => Assert.InRange(v.GetInt64(), 0, 9));
        Assert.All(inputs[2].GetProperty("data").EnumerateArray(), v => Assert.Contains(v.ValueKind, new[] { JsonValueKind.True, JsonValueKind.False }));
        Assert.Equal("INT64", inputs[1].GetProperty("datatype").GetString());
    }

    [Fact]
    public void FromMetadata_SameSeed_SameBody_OtherSeed_OtherValues()
    {
        using var metadata = JsonDocument.Parse(Metadata);
        var a = InputGenerator.FromMetadata(metadata.RootElement, 2, seed: 7, out _)!;
        var b = InputGenerator.FromMetadata(metadata.RootElement, 2, seed: 7, out _)!;
        var c = InputGenerator.FromMetadata(metadata.RootElement, 2, seed: 8, out _)!;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void FromMetadata_StringInput_RefusesNamingTheInputAndTheFix()
    {
        using var metadata = JsonDocument.Parse("""{"inputs":[{"name":"text","datatype":"BYTES","shape":[-1]}]}""");

        Assert.Null(InputGenerator.FromMetadata(metadata.RootElement, 1, 1, out var problem));
        Assert.Contains("input 'text'", problem, StringComparison.Ordinal);
        Assert.Contains("--input FILE", problem, StringComparison.Ordinal);
    }

    private static JsonElement Generate(int batch)
    {
        using var metadata = JsonDocument.Parse(Metadata);
        var body = InputGenerator.FromMetadata(metadata.RootElement, batch, seed: 1, out var problem);
        Assert.Null(problem);
        return JsonDocument.Parse(body!).RootElement.Clone();
    }
}
