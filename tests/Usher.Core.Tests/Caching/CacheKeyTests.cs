using System.IO.Hashing;
using System.Text;
using Usher.Core.Caching;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;
using static Usher.Core.Tests.Caching.CacheRequests;

namespace Usher.Core.Tests.Caching;

public sealed class CacheKeyTests
{
    private static readonly byte[] SixFloats = new byte[24];

    private static PredictionCache Cache(CacheConfig? config = null) => new(config ?? new CacheConfig { Enabled = true }, TimeProvider.System);

    private static CacheKey Key(ValidatedRequest request, CacheConfig? config = null, string model = "m", long version = 1)
        => Cache(config).CreateKey(model, version, request);

    private static ValidatedRequest WithParameters(Dictionary<string, object> parameters)
        => Request([Fp32("x", [2], 1f, 2f)], parameters: parameters);

    [Fact]
    public void CreateKey_ForEqualRequests_GivesEqualKeys()
    {
        var a = Key(Request(Fp32("x", [2], 1f, 2f)));
        var b = Key(Request(Fp32("x", [2], 1f, 2f)));
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void CreateKey_ForSameBytesInAnotherShape_Differs()
        => Assert.NotEqual(
            Key(Request(Tensor.FromBytes("x", DataType.Fp32, [2, 3], SixFloats))),
            Key(Request(Tensor.FromBytes("x", DataType.Fp32, [3, 2], SixFloats))));

    [Fact]
    public void CreateKey_ForSameBytesAsAnotherDatatype_Differs()
        => Assert.NotEqual(
            Key(Request(Tensor.FromBytes("x", DataType.Int32, [6], SixFloats))),
            Key(Request(Tensor.FromBytes("x", DataType.Fp32, [6], SixFloats))));

    [Fact]
    public void CreateKey_ForAnotherInputName_Differs()
        => Assert.NotEqual(Key(Request(Fp32("x", [1], 1f))), Key(Request(Fp32("z", [1], 1f))));

    [Fact]
    public void CreateKey_ForAnotherValue_Differs()
        => Assert.NotEqual(Key(Request(Fp32("x", [1], 1f))), Key(Request(Fp32("x", [1], 1.0000001f))));

    [Fact]
    public void CreateKey_ForAnotherVersionOrModel_Differs()
    {
        var request = Request(Fp32("x", [1], 1f));
        Assert.NotEqual(Key(request, version: 1), Key(request, version: 2));
        Assert.NotEqual(Key(request, model: "m"), Key(request, model: "n"));
    }

    [Fact]
    public void CreateKey_ForOtherRequestedOutputsOrTheirOrder_Differs()
    {
        Tensor[] inputs = [Fp32("x", [1], 1f)];
        var ab = Key(Request(inputs, ["a", "b"]));
        Assert.NotEqual(ab, Key(Request(inputs, ["b", "a"])));
        Assert.NotEqual(ab, Key(Request(inputs, ["a"])));
        Assert.Equal(ab, Key(Request(inputs, ["a", "b"])));
    }

    [Fact]
    public void CreateKey_ForBytesElementsSplitDifferently_Differs()
    {
        static ValidatedRequest Strings(params string[] elements)
            => Request(Tensor.FromStrings("s", [elements.Length], [.. elements.Select(Encoding.UTF8.GetBytes)]));

        Assert.NotEqual(Key(Strings("ab", "c")), Key(Strings("a", "bc")));
        Assert.Equal(Key(Strings("ab", "c")), Key(Strings("ab", "c")));
    }

    [Fact]
    public void CreateKey_ForAnOutputAffectingParameter_Differs()
    {
        var none = Key(WithParameters([]));
        var half = Key(WithParameters(new() { ["temperature"] = 0.5 }));
        Assert.NotEqual(none, half);
        Assert.NotEqual(half, Key(WithParameters(new() { ["temperature"] = 0.7 })));
        Assert.NotEqual(Key(WithParameters(new() { ["top_k"] = 1L })), Key(WithParameters(new() { ["top_k"] = 1UL })));
        Assert.Equal(half, Key(WithParameters(new() { ["temperature"] = 0.5 })));
    }

    [Fact]
    public void CreateKey_IgnoresParameterOrder()
        => Assert.Equal(
            Key(WithParameters(new() { ["a"] = "1", ["b"] = true })),
            Key(WithParameters(new() { ["b"] = true, ["a"] = "1" })));

    [Fact]
    public void CreateKey_IgnoresSchedulingAndTransportParameters()
        => Assert.Equal(
            Key(WithParameters([])),
            Key(WithParameters(new()
            {
                ["priority"] = 3L,
                ["timeout"] = 5000UL,
                ["binary_data_output"] = true,
                ["binary_data"] = true,
                ["binary_data_size"] = 8L,
                ["headers"] = "x-a: b",
                ["id"] = "req-1",
            })));

    [Fact]
    public void CreateKey_ForOutputParameters_KeysAllButTransportOnes()
    {
        static ValidatedRequest WithOutput(Dictionary<string, object> parameters)
            => Request([Fp32("x", [1], 1f)], requestedOutputs: [new RequestedOutput("y", parameters)]);

        var plain = Key(WithOutput([]));
        Assert.Equal(plain, Key(WithOutput(new() { ["binary_data"] = true })));
        Assert.NotEqual(plain, Key(WithOutput(new() { ["classification"] = 3L })));
    }

    [Fact]
    public void CreateKey_WithKeyInputs_IgnoresTheOtherInputs()
    {
        var config = new CacheConfig { Enabled = true, KeyInputs = ["a"] };
        var first = Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 1f)), config);
        Assert.Equal(first, Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 2f)), config));
        Assert.NotEqual(first, Key(Request(Fp32("a", [1], 2f), Fp32("b", [1], 1f)), config));
        Assert.NotEqual(
            Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 1f))),
            Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 2f))));
    }

    [Fact]
    public void CreateKey_WithKeyInputsNamingNoInput_KeysOnEveryInput()
    {
        var config = new CacheConfig { Enabled = true, KeyInputs = ["a", "typo"] };
        Assert.NotEqual(
            Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 1f)), config),
            Key(Request(Fp32("a", [1], 1f), Fp32("b", [1], 2f)), config));
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(5, false)]
    public void CreateKey_WithRoundDecimals_SharesKeysOnlyWithinThePrecision(int decimals, bool shared)
    {
        var config = new CacheConfig { Enabled = true, RoundDecimals = decimals };
        var a = Key(Request(Fp32("x", [1], 0.12345f)), config);
        var b = Key(Request(Fp32("x", [1], 0.12346f)), config);
        Assert.Equal(shared, a.Equals(b));
    }

    [Fact]
    public void CreateKey_WithRoundDecimals_RoundsDoublesHalfToEven()
    {
        static ValidatedRequest Fp64(double value) => Request(Tensor.FromSpan<double>("x", DataType.Fp64, [1], [value]));

        var config = new CacheConfig { Enabled = true, RoundDecimals = 0 };
        Assert.Equal(Key(Fp64(2.5), config), Key(Fp64(2.0), config));
        Assert.Equal(Key(Fp64(3.5), config), Key(Fp64(4.0), config));
        Assert.NotEqual(Key(Fp64(2.5), config), Key(Fp64(3.0), config));
    }

    [Fact]
    public void CreateKey_WithoutRoundDecimals_KeysExactBytes()
        => Assert.NotEqual(Key(Request(Fp32("x", [1], 0.12345f))), Key(Request(Fp32("x", [1], 0.12346f))));

    [Fact]
    public void CreateKey_WithRoundDecimals_TreatsNegativeZeroAsZeroAndAllNaNsAlike()
    {
        var config = new CacheConfig { Enabled = true, RoundDecimals = 2 };
        Assert.Equal(Key(Request(Fp32("x", [1], -0.0f)), config), Key(Request(Fp32("x", [1], 0.0f)), config));
        Assert.Equal(Key(Request(Fp32("x", [1], -0.001f)), config), Key(Request(Fp32("x", [1], 0.0f)), config));
        var otherNaN = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001));
        Assert.True(float.IsNaN(otherNaN));
        Assert.Equal(Key(Request(Fp32("x", [1], float.NaN)), config), Key(Request(Fp32("x", [1], otherNaN)), config));
    }

    [Fact]
    public void CreateKey_WithRoundDecimals_RoundsHalfPrecisionAndBFloat16Too()
    {
        var config = new CacheConfig { Enabled = true, RoundDecimals = 1 };

        // FP16 1.0 = 0x3C00 and the next FP16 up, 1.0009765625 = 0x3C01; BF16 1.0 = 0x3F80, 1.0078125 = 0x3F81.
        static ValidatedRequest Half(DataType type, ushort bits)
            => Request(Tensor.FromBytes("x", type, [1], BitConverter.GetBytes(bits)));

        Assert.Equal(Key(Half(DataType.Fp16, 0x3C00), config), Key(Half(DataType.Fp16, 0x3C01), config));
        Assert.NotEqual(Key(Half(DataType.Fp16, 0x3C00)), Key(Half(DataType.Fp16, 0x3C01)));
        Assert.Equal(Key(Half(DataType.Bf16, 0x3F80), config), Key(Half(DataType.Bf16, 0x3F81), config));
        Assert.NotEqual(Key(Half(DataType.Bf16, 0x3F80), config), Key(Half(DataType.Fp16, 0x3C00), config));
    }

    [Fact]
    public void CreateKey_EncodesTheDocumentedLayout()
    {
        var request = Request([Fp32("x", [2], 1f, 2f)], ["y"], new() { ["priority"] = 1L, ["k"] = true });
        var key = Cache().CreateKey("m", 7, request);

        var expected = new List<byte> { 1, 255 };                    // format version, no rounding
        void Int32(int v) => expected.AddRange(BitConverter.GetBytes(v));
        void Str(string s)
        {
            Int32(s.Length);
            expected.AddRange(Encoding.ASCII.GetBytes(s));
        }

        Str("m");
        expected.AddRange(BitConverter.GetBytes(7L));
        Int32(1);                                                    // one input
        Str("x");
        expected.Add(11);                                            // FP32
        Int32(1);                                                    // rank
        expected.AddRange(BitConverter.GetBytes(2L));
        Int32(8);
        expected.AddRange([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40]); // 1f, 2f
        Int32(1);                                                    // one output
        Str("y");
        Int32(1);                                                    // one keyed parameter
        Str("k");
        expected.AddRange([1, 1]);                                   // bool true
        Int32(0);                                                    // no per-output parameters

        Assert.Equal(expected.Count, key.Length);
        var bytes = expected.ToArray();
        Assert.Equal(XxHash128.HashToUInt128(bytes), key.Hash);
        Assert.Equal(key, new CacheKey(key.Hash, bytes));
    }
}
