using System.Text;
using Usher.Core.Inference;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>The streaming check that refuses a large body whose data outnumbers its shape before the document is built.</summary>
public sealed class JsonDataPrecheckTests
{
    private static string Ones(int n) => string.Join(",", Enumerable.Repeat("1", n));

    private static InferenceError? Check(string json) => JsonDataPrecheck.Check(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void ShapeFirst_TooManyValues_StopsOnePastTheShape()
        => Assert.Equal(
            "input 'features': shape [1,30] needs 30 elements, got more than 30",
            Check($$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[{{Ones(300_000)}}]}]}""")!.Message);

    [Fact]
    public void DataFirst_TooManyValues_CountsThemAll()
        => Assert.Equal(
            "input 'x': shape [2] needs 2 elements, got 5",
            Check("""{"inputs":[{"data":[[1,2],[3,4,5]],"name":"x","datatype":"FP32","shape":[2]}]}""")!.Message);

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[3],"datatype":"BYTES","data":["a,b,c,d","[","]"]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[],"datatype":"FP32","data":1}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1,2]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1,"2"],"datatype":"FP32","data":[1,2,3]}]}""")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"data":[1,2""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"id":"[1,2,3]","parameters":{"shape":[1]},"inputs":[{"name":"x","shape":[3],"data":[1,2,3]}]}""")]
    public void WhatItCannotJudgeOrIsRight_IsLeftToTheFullReader(string json)
        => Assert.Null(Check(json));

    [Fact]
    public void SecondInput_TooManyValues_IsNamed()
        => Assert.Contains(
            "input 'b': shape [1] needs 1 element",
            Check("""{"inputs":[{"name":"a","shape":[2],"data":[1,2]},{"name":"b","shape":[1],"data":[1,2]}]}""")!.Message,
            StringComparison.Ordinal);
}
