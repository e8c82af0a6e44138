struct Counter {
    virtual ~Counter();
    virtual int step(int v) const;
    int run(int n) const;
    int checked(int n) const;
};
