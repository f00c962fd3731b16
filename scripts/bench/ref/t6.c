/* T6 reference: the cost of starting any program at all. */
int main(void) { return 0; }
