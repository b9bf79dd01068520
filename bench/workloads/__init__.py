"""What the benches run and the tests check alike: garbled text, real sentences to
garble, hostile lines for the regular expressions, a corpus to kill a run on. Not part
of the installed package; tests import it from here, benches never import tests."""
