namespace ActorStream.Hosting.Internal.Configuration;

/// <summary>
/// A structural check run before Akka's HOCON parser, which silently accepts a truncated file and
/// can loop forever on an unclosed list. Finds unterminated strings and unbalanced braces or
/// brackets and reports the line, so a broken config file fails with a message instead of a hang.
/// </summary>
internal static class HoconSyntaxCheck
{
    /// <summary>Returns null when the structure is sound, else what is wrong and where.</summary>
    public static string? Check(string text)
    {
        var stack = new Stack<(char Open, int Line)>();
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
                continue;
            }

            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                i--;
                continue;
            }

            if (c == '"')
            {
                var triple = i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"';
                var start = line;
                if (triple)
                {
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        return $"line {start}: a \"\"\" string is never closed";
                    }

                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                    continue;
                }

                i++;
                while (i < text.Length && text[i] != '"' && text[i] != '\n')
                {
                    if (text[i] == '\\')
                    {
                        i++;
                    }

                    i++;
                }

                if (i >= text.Length || text[i] != '"')
                {
                    return $"line {start}: a quoted string is not closed on its line";
                }

                continue;
            }

            switch (c)
            {
                case '{' or '[':
                    stack.Push((c, line));
                    break;
                case '}' or ']':
                    var expected = c == '}' ? '{' : '[';
                    if (stack.Count == 0)
                    {
                        return $"line {line}: '{c}' closes nothing";
                    }

                    var (open, openedAt) = stack.Pop();
                    if (open != expected)
                    {
                        return $"line {line}: '{c}' closes the '{open}' opened at line {openedAt}";
                    }

                    break;
            }
        }

        if (stack.Count > 0)
        {
            var (open, openedAt) = stack.Peek();
            return $"the '{open}' opened at line {openedAt} is never closed (the file may be truncated)";
        }

        return null;
    }
}
