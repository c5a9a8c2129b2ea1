using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// Requests an attacker or a careless client sends (issue 11): a shape that would overflow the stack,
/// strings that are not text, tensors larger than the limit, names that would be echoed whole.
/// </summary>
public sealed class RequestHardeningTests : IAsyncLifetime
{
    private const long MaxTensorBytes = 4096;
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        TestModels.WriteIdentity(_repo.Combine("id_fp64", "1"), DataType.Fp64);
        TestModels.WriteIdentity(_repo.Combine("id_bytes", "1"), DataType.Bytes);
        _app = await UsherApp.StartAsync(_repo.Path, server: s => s.MaxTensorBytes = MaxTensorBytes);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private async Task<string> PostErrorAsync(string path, byte[] body, HttpStatusCode status, string? encoding = null, int? headerLength = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        if (headerLength is { } length)
        {
            content.Headers.Add("Inference-Header-Content-Length", length.ToString(CultureInfo.InvariantCulture));
        }

        return await HttpAssert.ErrorAsync(await _app.Client.PostAsync(path, content), status);
    }

    private Task<string> PostErrorAsync(string path, string body, HttpStatusCode status)
        => PostErrorAsync(path, Encoding.UTF8.GetBytes(body), status);

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>The crash: a 2,000,000-dimension shape (a few KB gzipped) reached a stackalloc sized by it.</summary>
    [Fact]
    public async Task Infer_ShapeWithMillionsOfDimensions_Is400NamingTheInput_AndTheServerLives()
    {
        var json = "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 2_000_000))
            + "],\"data\":[[1]]}]}";
        var message = await PostErrorAsync("/v2/models/fraud/infer", Gzip(Encoding.UTF8.GetBytes(json)), HttpStatusCode.BadRequest, "gzip");
        Assert.Equal("input 'features': shape has 2000000 dimensions; at most 64 are supported", message);
        Assert.Equal(HttpStatusCode.OK, (await _app.Client.GetAsync("/v2/health/live")).StatusCode);
    }

    [Fact]
    public async Task Infer_ShapeWithOneDimensionTooMany_Is400_AndTheLimitItselfPasses()
    {
        static string Body(int rank) => "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":["
            + string.Join(",", Enumerable.Repeat("1", rank)) + "],\"data\":[1]}]}";
        Assert.Contains("65 dimensions; at most 64", await PostErrorAsync("/v2/models/fraud/infer", Body(65), HttpStatusCode.BadRequest), StringComparison.Ordinal);

        // 64 dimensions decode; the model then refuses the rank.
        Assert.Contains("expected FP32 [-1,30]", await PostErrorAsync("/v2/models/fraud/infer", Body(64), HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_BinaryShapeWithTooManyDimensions_Is400()
    {
        var header = "{\"inputs\":[{\"name\":\"features\",\"datatype\":\"FP32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 100_000))
            + "],\"parameters\":{\"binary_data_size\":4}}]}";
        var body = Encoding.UTF8.GetBytes(header).Concat(new byte[4]).ToArray();
        var message = await PostErrorAsync("/v2/models/fraud/infer", body, HttpStatusCode.BadRequest, headerLength: Encoding.UTF8.GetByteCount(header));
        Assert.Equal("input 'features': shape has 100000 dimensions; at most 64 are supported", message);
    }

    public static TheoryData<string, string> NotText => new()
    {
        // Raw bytes \xff\xfe inside a string (the JSON parser does not check them).
        { "{\"inputs\":[{\"name\":\"\u00ff\u00fe\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", "inputs[0]: 'name'" },
        { "{\"id\":\"\\ud800\",\"inputs\":[{\"name\":\"in_fp32\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", "'id'" },
        { "{\"inputs\":[{\"name\":\"in_fp32\",\"shape\":[1],\"datatype\":\"\\ud800\",\"data\":[1]}]}", "'datatype' must be one of" },
        { "{\"parameters\":{\"k\":\"\\udfff\"},\"inputs\":[{\"name\":\"in_fp32\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", "request: parameter 'k'" },
        { "{\"parameters\":{\"\u00ff\":1},\"inputs\":[{\"name\":\"in_fp32\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", "request: a parameter's name" },
        { "{\"inputs\":[{\"name\":\"in_fp32\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}],\"outputs\":[{\"name\":\"\\ud800x\"}]}", "outputs[0]: 'name'" },
        // Found by BadInputProperties: a lone surrogate where a float may be "NaN" threw from the comparison.
        { "{\"inputs\":[{\"name\":\"in_fp64\",\"shape\":[1,1],\"datatype\":\"FP64\",\"data\":[\"\\udc00\\ud800\"]}]}", "input 'in_fp64' element 0: expected" },
    };

    /// <summary>Before: 500 "internal error: Cannot transcode..." and an unhandled-exception log.</summary>
    [Theory]
    [MemberData(nameof(NotText))]
    public async Task Infer_StringThatIsNotText_Is400NamingTheField(string body, string field)
    {
        // \u00ff and \u00fe stand for the raw bytes 0xff and 0xfe: Latin-1 writes each as that one byte.
        var bytes = Encoding.Latin1.GetBytes(body);
        var message = await PostErrorAsync("/v2/models/id_fp64/infer", bytes, HttpStatusCode.BadRequest);
        Assert.Contains(field, message, StringComparison.Ordinal);
    }

    /// <summary>The 12-million-element BYTES tensor, scaled down: refused from its declaration, before its elements are made.</summary>
    [Fact]
    public async Task Infer_BinaryBytesTensorOverTheLimit_Is400NamingTheLimit()
    {
        const int count = 200; // 200 x 32 + 1,000 bytes of lengths and letters = 7,400 bytes decoded > 4,096.
        var header = "{\"inputs\":[{\"name\":\"in_bytes\",\"shape\":[1," + count + "],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":" + (count * 5) + "}}]}";
        var blob = new byte[count * 5];
        for (var i = 0; i < count; i++)
        {
            blob[i * 5] = 1;
            blob[(i * 5) + 4] = (byte)'a';
        }

        var body = Encoding.UTF8.GetBytes(header).Concat(blob).ToArray();
        var message = await PostErrorAsync("/v2/models/id_bytes/infer", body, HttpStatusCode.BadRequest, headerLength: Encoding.UTF8.GetByteCount(header));
        Assert.Equal(
            $"input 'in_bytes': BYTES [1,200] takes {(count * 32) + (count * 5)} bytes once decoded (32 per element plus its bytes), more than server.max_tensor_bytes (4096); send a smaller tensor or raise the limit",
            message);
    }

    [Fact]
    public async Task Infer_JsonTensorOverTheLimit_Is400_AndOneAtTheLimitRuns()
    {
        static string Body(int n) => $$"""{"inputs":[{"name":"in_fp64","shape":[1,{{n}}],"datatype":"FP64","data":[{{string.Join(",", Enumerable.Repeat("1", n))}}]}]}""";
        Assert.Contains("FP64 [1,513] takes 4104 bytes once decoded", await PostErrorAsync("/v2/models/id_fp64/infer", Body(513), HttpStatusCode.BadRequest), StringComparison.Ordinal);
        var ok = await _app.Client.PostAsync("/v2/models/id_fp64/infer", new StringContent(Body(512), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    /// <summary>Before: the whole name came back, in the answer and in the log.</summary>
    [Fact]
    public async Task Infer_HugeInputName_IsEchoedCut()
    {
        var name = new string('n', 100_000);
        var zeros = string.Join(",", Enumerable.Repeat("0", 30));
        var message = await PostErrorAsync("/v2/models/fraud/infer", $$"""{"inputs":[{"name":"{{name}}","shape":[1,30],"datatype":"FP32","data":[{{zeros}}]}]}""", HttpStatusCode.BadRequest);
        Assert.True(message.Length <= EchoText.MaxMessageLength, $"{message.Length} characters");
        Assert.StartsWith("unknown input 'nnnn", message, StringComparison.Ordinal);
        Assert.EndsWith("'features' FP32 [-1,30]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_HugeModelName_IsEchoedCut()
    {
        var name = new string('m', 20_000);
        var message = await HttpAssert.ErrorAsync(
            await _app.Client.PostAsync($"/v2/models/{name}/infer", new StringContent(
                """{"inputs":[{"name":"in_fp64","shape":[1,1],"datatype":"FP64","data":[1]}]}""", Encoding.UTF8, "application/json")),
            HttpStatusCode.NotFound);
        Assert.True(message.Length <= EchoText.MaxMessageLength, $"{message.Length} characters");
        Assert.StartsWith("unknown model 'mmm", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_GzipBombPastTheBodyLimit_Is413()
    {
        // 80 MB of zeros in ~80 KB: decoding stops one byte past the 64 MiB default limit.
        var bomb = Gzip(new byte[80 * 1024 * 1024]);
        var message = await PostErrorAsync("/v2/models/fraud/infer", bomb, HttpStatusCode.RequestEntityTooLarge, "gzip");
        Assert.Contains("server.max_request_body_bytes", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_TensorAtTheLimit_IsServed_WithItsValues()
    {
        var values = Enumerable.Range(0, 8).Select(i => i * 1.5).ToArray();
        var body = $$"""{"inputs":[{"name":"in_fp64","shape":[1,8],"datatype":"FP64","data":[{{string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}}]}]}""";
        var json = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/models/id_fp64/infer", new StringContent(body, Encoding.UTF8, "application/json")));
        var output = json.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == TestModels.OutputName(DataType.Fp64));
        Assert.Equal(values, output.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
    }
}
