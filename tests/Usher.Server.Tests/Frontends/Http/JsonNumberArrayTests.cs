using System.Globalization;
using System.Text;
using Usher.Server.Frontends;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// The one-pass fill on its own: the request reader falls back to the full reader whenever the fill
/// gives up, so its own tests would pass even if the fill never succeeded. Here it must succeed on valid
/// data, read each number as <c>float.Parse</c> does, and give up on data that does not fit the shape.
/// </summary>
public sealed class JsonNumberArrayTests
{
    private static bool Fill(string data, long[] shape, float[] destination, out int end)
        => JsonNumberArray.TryFill<float, JsonElementReaders.Fp32>(Encoding.ASCII.GetBytes(data), 1, shape, RequestLimits.MaxDimensions, destination, out end);

    [Fact]
    public void Fill_FlatAndNestedWithAnySpacing_ReadsEveryNumberAsFloatParse()
    {
        var random = new Random(1205);
        string[] forms = ["R", "F4", "E3", "G9"];
        string[] separators = [",", ", ", " ,", ",\n"];
        for (var i = 0; i < 2_000; i++)
        {
            var rows = random.Next(1, 4);
            var columns = random.Next(1, 40);
            var texts = Enumerable.Range(0, rows * columns)
                .Select(_ => ((float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7)))).ToString(forms[random.Next(forms.Length)], CultureInfo.InvariantCulture))
                .ToArray();
            var separator = separators[random.Next(separators.Length)];
            var nested = random.Next(2) == 0;
            var data = nested
                ? "[" + string.Join(separator, Enumerable.Range(0, rows).Select(r => "[" + string.Join(separator, texts.Skip(r * columns).Take(columns)) + "]")) + "]"
                : "[" + string.Join(separator, texts) + "]";
            long[] shape = nested ? [rows, columns] : [rows * columns];

            var values = new float[texts.Length];
            Assert.True(Fill(data, shape, values, out var end), $"gave up on {data}");
            Assert.Equal(data.Length - 1, end);
            for (var k = 0; k < texts.Length; k++)
            {
                var expected = float.Parse(texts[k], NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(values[k]), $"{data}: element {k} '{texts[k]}' read as {values[k]:R}");
            }
        }
    }

    [Theory]
    [InlineData("[1,2,3]", new long[] { 2 })]
    [InlineData("[1,2]", new long[] { 3 })]
    [InlineData("[[1,2],[3,4,5]]", new long[] { 2, 2 })]
    [InlineData("[[1,2,3],[4]]", new long[] { 2, 2 })]
    [InlineData("[[1,2],[3]]", new long[] { 2, 2 })]
    [InlineData("[1,2,[3]]", new long[] { 3 })]
    [InlineData("[1,2,,3]", new long[] { 3 })]
    [InlineData("[1,2,]", new long[] { 2 })]
    [InlineData("[1,2", new long[] { 2 })]
    public void Fill_DataThatDoesNotFitTheShape_GivesUp(string data, long[] shape)
    {
        var count = 1L;
        foreach (var dimension in shape)
        {
            count *= dimension;
        }

        Assert.False(Fill(data, shape, new float[count], out _));
    }
}
