"""Message content: header decoding, MIME walking, charsets, HTML to text, attachment extraction."""
