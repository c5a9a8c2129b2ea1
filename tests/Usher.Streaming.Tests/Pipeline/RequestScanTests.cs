using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Tests.Pipeline;

public sealed class RequestScanTests
{
    [Fact]
    public void Read_FindsModelIdAndNestedRoutingKey_SkippingTensors()
    {
        var json = """{"inputs":[{"name":"x","data":[[1,2],[3,4]]}],"model_name":"fraud","id":"tx-9","parameters":{"other":{"user_id":"no"},"user_id":"u-42"}}"""u8;

        var scan = RequestScan.Read(json, ["parameters", "user_id"]);

        Assert.Equal(new RequestScan("fraud", "u-42", null, "tx-9"), scan);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"inputs\":[]} trailing")]
    public void Read_WhenNotOneJsonObject_IsMalformed(string text)
    {
        var scan = RequestScan.Read(System.Text.Encoding.UTF8.GetBytes(text), null);

        Assert.NotNull(scan.Malformed);
    }

    [Fact]
    public void Read_NumericKey_IsItsText()
        => Assert.Equal("1234", RequestScan.Read("""{"parameters":{"user_id":1234}}"""u8, ["parameters", "user_id"]).RoutingKey);

    [Theory]
    [InlineData("""{"id":"m7","inputs":[{"name":"x","data":[1,2]}]}""", "m7")]
    [InlineData("""{"inputs":[{"name":"x","data":[[1,2],[3,4]]}],"parameters":{"id":"nested"},"id":42}""", "42")]
    [InlineData("""{"inputs":[{"name":"x","data":[1,2]}]}""", null)]
    [InlineData("""{"parameters":{"id":"nested"}}""", null)]
    [InlineData("""{"id":{"not":"a scalar"}}""", null)]
    [InlineData("""{"inputs":[1,""", null)]
    [InlineData("not json", null)]
    public void ReadId_IsTheTopLevelIdOrNull(string text, string? id)
        => Assert.Equal(id, RequestScan.ReadId(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void ReadId_StopsAtTheId_WhatFollowsIsLeftToTheScorer()
    {
        var json = """{"id":"m1","inputs":[1,"""u8;

        Assert.Equal("m1", RequestScan.ReadId(json));
        Assert.NotNull(RequestScan.Read(json, null).Malformed);
    }
}
