using System.Text;
using System.Text.Json;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Tests.Pipeline;

public sealed class AnswerJsonTests
{
    [Fact]
    public void Write_ReusesItsWriter_EachAnswerWholeAndIndependentOfTheLast()
    {
        var request = Encoding.UTF8.GetBytes("""{"inputs":[""" + new string(' ', 3000) + "]}");
        var failure = AnswerJson.Write(new StreamAnswer { SourceId = "m1", Endpoint = "fraud", Error = "input 'x': expected FP32", Reason = "invalid", Attempts = 2, Request = request });
        var failureText = Encoding.UTF8.GetString(failure);
        var answer = AnswerJson.Write(new StreamAnswer { SourceId = "m2", Endpoint = "fraud", ModelVersion = 3, Response = """{"outputs":[]}"""u8.ToArray(), Attempts = 1 });

        using (var json = JsonDocument.Parse(answer))
        {
            var root = json.RootElement;
            Assert.Equal(["source_id", "endpoint", "model_version", "response"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("m2", root.GetProperty("source_id").GetString());
            Assert.Equal(3, root.GetProperty("model_version").GetInt64());
            Assert.Equal(0, root.GetProperty("response").GetProperty("outputs").GetArrayLength());
        }

        // The first answer's bytes are its own: the second write did not reach into them.
        Assert.Equal(failureText, Encoding.UTF8.GetString(failure));
        using (var json = JsonDocument.Parse(failure))
        {
            Assert.Equal("invalid", json.RootElement.GetProperty("reason").GetString());
            Assert.Equal(request.Length, Encoding.UTF8.GetByteCount(json.RootElement.GetProperty("request").GetString()!));
        }
    }

    [Fact]
    public void Write_AnAnswerOverTheKeptBufferSize_IsWhole_AndTheNextIsToo()
    {
        var big = Encoding.UTF8.GetBytes("""{"outputs":[{"data":[""" + string.Join(",", Enumerable.Repeat("0.5", 40_000)) + "]}]}");
        var first = AnswerJson.Write(new StreamAnswer { SourceId = "big", Endpoint = "fraud", ModelVersion = 1, Response = big, Attempts = 1 });
        var second = AnswerJson.Write(new StreamAnswer { SourceId = "small", Endpoint = "fraud", ModelVersion = 1, Response = "{}"u8.ToArray(), Attempts = 1 });

        using var bigJson = JsonDocument.Parse(first);
        Assert.Equal(40_000, bigJson.RootElement.GetProperty("response").GetProperty("outputs")[0].GetProperty("data").GetArrayLength());
        Assert.Equal("""{"source_id":"small","endpoint":"fraud","model_version":1,"response":{}}""", Encoding.UTF8.GetString(second));
    }
}
